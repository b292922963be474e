package io.aegis.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.aegis.it.testing.TestCluster;
import io.aegis.protocol.record.OpenedRecord;
import io.aegis.server.testing.TestAgent;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Redis is the cluster's fast path, never its memory: while it is down nodes keep serving and
 * cross-node delivery falls back to the store sweep (never a loss); when it comes back (empty),
 * nodes announce their sessions again and resume without a restart.
 */
class RedisOutageTest {

  @Test
  void nodesServeThroughARedisOutageAndResumeWhenItReturns() {
    try (TestCluster cluster = TestCluster.start(2)) {
      TestAgent agent = cluster.register("outage-1");
      try (TestAgent.Session s = agent.at(cluster.url(1)).connect()) {
        await().atMost(Duration.ofSeconds(30)).until(() -> connectedOn(cluster, "outage-1", 1));

        cluster.redis().kill();
        for (int i = 0; i < 2; i++) {
          int node = i;
          await("node-" + i + " degraded").atMost(Duration.ofSeconds(30)).until(() ->
              cluster.operator(node).get("/readyz").json().path("cluster").asText().equals("degraded"));
          assertThat(cluster.operator(node).get("/readyz").status()).as("a degraded node still serves").isEqualTo(200);
        }

        // Sent through node-0, which cannot see where the agent is: queued, then found by node-1's sweep.
        var r = cluster.operator(0).post("/api/v1/agents/outage-1/send", Map.of("channel", "commands",
            "message", Map.of("during", "outage")));
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        String during = r.json().path("message_id").asText();
        OpenedRecord rec = s.nextNonAck();
        assertThat(rec.id()).isEqualTo(during);
        s.ack(during);

        cluster.redis().restart(); // empty: presence and nodes must be announced again
        for (int i = 0; i < 2; i++) {
          int node = i;
          await("node-" + i + " back").atMost(Duration.ofSeconds(60)).until(() ->
              cluster.operator(node).get("/readyz").json().path("cluster").asText().equals("ok"));
        }
        await("presence announced again").atMost(Duration.ofSeconds(30))
            .until(() -> connectedOn(cluster, "outage-1", 1));
        var after = cluster.operator(0).post("/api/v1/agents/outage-1/send", Map.of("channel", "commands",
            "message", Map.of("after", "outage")));
        assertThat(after.json().path("status").asText()).as("node-0 sees the agent on node-1 again").isEqualTo("sent");
        assertThat(s.nextNonAck().id()).isEqualTo(after.json().path("message_id").asText());
      }
    }
  }

  private static boolean connectedOn(TestCluster cluster, String agentId, int node) {
    var st = cluster.operator(0).get("/api/v1/agents/" + agentId + "/status").json();
    return st.path("connected").asBoolean() && st.path("node_id").asText().equals(TestCluster.nodeId(node));
  }
}
