package io.aegis.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.aegis.it.testing.TestCluster;
import io.aegis.protocol.CloseCode;
import io.aegis.server.testing.FaultProxy;
import io.aegis.server.testing.TestAgent;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A node that was away — cut off from Redis, or paused with SIGSTOP — while its agent moved to
 * another node does not act on the session it still holds when it comes back: the session is
 * closed as replaced at once (the later presence claim wins), and messages go to where the agent
 * is now.
 */
class FenceClusterTest {

  @Test
  void aNodeBackFromAPartitionClosesTheSessionsAnotherNodeTookOver() {
    try (TestCluster cluster = TestCluster.start(2)) {
      URI redis = URI.create(cluster.redis().url());
      try (FaultProxy proxy = new FaultProxy(redis.getHost(), redis.getPort())) {
        // node-0 reaches Redis only through the proxy.
        cluster.kill(0);
        cluster.startNode(0, Map.of("REDIS_URL", "redis://127.0.0.1:" + proxy.port()));
        TestAgent agent = cluster.register("fenced-1");
        try (TestAgent.Session old = agent.at(cluster.url(0)).connect()) {
          await().atMost(Duration.ofSeconds(30)).until(() -> connectedOn(cluster, "fenced-1", 0));

          proxy.mode(FaultProxy.Mode.BLACKHOLE);
          await("node-0 notices").atMost(Duration.ofSeconds(60)).until(() ->
              cluster.operator(0).get("/readyz").json().path("cluster").asText().equals("degraded"));

          // The agent reconnects through node-1; node-0 cannot hear the notice that would close `old`.
          try (TestAgent.Session current = agent.at(cluster.url(1)).connect()) {
            await().atMost(Duration.ofSeconds(30)).until(() -> connectedOn(cluster, "fenced-1", 1));
            assertThat(old.socket().isClosed()).as("node-0 heard nothing yet").isFalse();

            proxy.mode(FaultProxy.Mode.PASS);
            assertThat(old.socket().awaitClose(Duration.ofSeconds(60)).code())
                .isEqualTo(CloseCode.REPLACED.code());

            // Presence still names node-1, so a send through node-0 reaches the agent's live session.
            await().atMost(Duration.ofSeconds(60)).until(() ->
                cluster.operator(0).get("/readyz").json().path("cluster").asText().equals("ok"));
            assertThat(connectedOn(cluster, "fenced-1", 1)).isTrue();
            var r = cluster.operator(0).post("/api/v1/agents/fenced-1/send",
                Map.of("channel", "commands", "message", Map.of("after", "heal")));
            assertThat(r.status()).as(r.body()).isEqualTo(202);
            assertThat(current.nextNonAck().id()).isEqualTo(r.json().path("message_id").asText());
          }
        }
      }
    }
  }

  @Test
  void aNodeResumedFromAPauseClosesTheSessionsAnotherNodeTookOverAndDeliversNothingThroughThem() throws Exception {
    try (TestCluster cluster = TestCluster.start(2)) {
      TestAgent agent = cluster.register("paused-1");
      try (TestAgent.Session old = agent.at(cluster.url(0)).connect()) {
        await().atMost(Duration.ofSeconds(30)).until(() -> connectedOn(cluster, "paused-1", 0));

        signal("STOP", cluster.node(0).pid()); // a long GC pause, a frozen VM
        try (TestAgent.Session current = agent.at(cluster.url(1)).connect()) {
          await().atMost(Duration.ofSeconds(30)).until(() -> connectedOn(cluster, "paused-1", 1));
          var during = cluster.operator(1).post("/api/v1/agents/paused-1/send",
              Map.of("channel", "commands", "message", Map.of("while", "paused")));
          assertThat(during.status()).as(during.body()).isEqualTo(202);
          String duringId = during.json().path("message_id").asText();
          assertThat(current.nextNonAck().id()).isEqualTo(duringId);
          current.ack(duringId);

          signal("CONT", cluster.node(0).pid());
          assertThat(old.socket().awaitClose(Duration.ofSeconds(60)).code()).isEqualTo(CloseCode.REPLACED.code());

          var after = cluster.operator(0).post("/api/v1/agents/paused-1/send",
              Map.of("channel", "commands", "message", Map.of("after", "resume")));
          assertThat(after.status()).as(after.body()).isEqualTo(202);
          assertThat(current.nextNonAck().id()).isEqualTo(after.json().path("message_id").asText());
        }
      } finally {
        signal("CONT", cluster.node(0).pid()); // never leave a stopped process behind
      }
    }
  }

  private static void signal(String signal, long pid) throws Exception {
    Process p = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
    assertThat(p.waitFor()).isZero();
  }

  private static boolean connectedOn(TestCluster cluster, String agentId, int node) {
    var st = cluster.operator(1).get("/api/v1/agents/" + agentId + "/status").json();
    return st.path("connected").asBoolean() && st.path("node_id").asText().equals(TestCluster.nodeId(node));
  }
}
