package io.aegis.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.aegis.it.testing.Fleet;
import io.aegis.it.testing.TestCluster;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Draining one node through another: its agents (SDK clients behind nginx) move to the other
 * nodes, the node leaves the cluster and its process exits 0.
 */
class DrainClusterTest {

  @Test
  void aNodeDrainedThroughAnotherHandsItsAgentsOverAndExits() {
    try (TestCluster cluster = TestCluster.start(3); Fleet fleet = Fleet.start(cluster, "drain", 6)) {
      await().atMost(Duration.ofSeconds(60)).until(fleet::allConnected);
      // Drain whichever node holds the most agents (least_conn spreads them, but not exactly).
      int[] held = new int[3];
      for (String agentId : fleet.agentIds()) {
        String node = cluster.operator(0).get("/api/v1/agents/" + agentId + "/status").json().path("node_id").asText();
        held[Integer.parseInt(node.substring("node-".length()))]++;
      }
      int victim = held[0] >= held[1] && held[0] >= held[2] ? 0 : held[1] >= held[2] ? 1 : 2;
      int via = (victim + 1) % 3;

      var r = cluster.operator(via).post("/api/v1/nodes/" + TestCluster.nodeId(victim) + "/drain", Map.of());
      assertThat(r.status()).as(r.body()).isEqualTo(202);
      assertThat(cluster.node(victim).awaitExit(Duration.ofSeconds(60))).as("exit status").isZero();

      await().atMost(Duration.ofSeconds(60)).until(fleet::allConnected);
      for (String agentId : fleet.agentIds()) {
        await(agentId + " elsewhere").atMost(Duration.ofSeconds(30)).until(() -> {
          var st = cluster.operator(via).get("/api/v1/agents/" + agentId + "/status").json();
          return st.path("connected").asBoolean()
              && !st.path("node_id").asText().equals(TestCluster.nodeId(victim));
        });
      }
      var nodes = cluster.operator(via).get("/api/v1/nodes").json().path("nodes");
      nodes.forEach(n -> {
        if (n.path("node_id").asText().equals(TestCluster.nodeId(victim))) {
          assertThat(n.path("state").asText()).isEqualTo("down");
        }
      });
    }
  }
}
