package io.aegis.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.aegis.it.testing.Fleet;
import io.aegis.it.testing.SteadySender;
import io.aegis.it.testing.TestCluster;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@code kill -9} of a node under a steady send load, agents behind nginx: they reconnect to the
 * other nodes, and every send the API acknowledged reaches agent code exactly once (what the dead
 * node held unacknowledged, and what was sent to its agents meanwhile, comes from the store).
 */
@Tag("heavy")
class NodeFailureTest {

  @Test
  void killingANodeUnderLoadLosesNothingAndDeliversNothingTwice() {
    try (TestCluster cluster = TestCluster.start(3); Fleet fleet = Fleet.start(cluster, "kill", 9)) {
      await().atMost(Duration.ofSeconds(60)).until(fleet::allConnected);
      Set<String> acknowledged;
      try (SteadySender sender = SteadySender.start(cluster.operator(), fleet.agentIds(), 50)) {
        await().atMost(Duration.ofSeconds(60)).until(() -> sender.acknowledged().size() >= 40);
        cluster.kill(1);
        int before = sender.acknowledged().size();
        await().atMost(Duration.ofSeconds(120)).until(() -> sender.acknowledged().size() >= before + 100);
        sender.close();
        acknowledged = sender.acknowledged();
      }
      await("every agent back").atMost(Duration.ofSeconds(60)).until(fleet::allConnected);
      await("every acknowledged send delivered").atMost(Duration.ofSeconds(120))
          .until(() -> fleet.seen().containsAll(acknowledged));
      assertThat(fleet.seenTwice()).as("message ids agent code saw twice").isEmpty();
      Set<String> missing = new HashSet<>(acknowledged);
      missing.removeAll(fleet.seen());
      assertThat(missing).isEmpty();
      await("the dead node listed down").atMost(Duration.ofSeconds(30)).until(() -> {
        var nodes = cluster.operator(0).get("/api/v1/nodes").json().path("nodes");
        for (var n : nodes) {
          if (n.path("node_id").asText().equals("node-1")) {
            return n.path("state").asText().equals("down");
          }
        }
        return false;
      });
    }
  }
}
