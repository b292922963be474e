package io.aegis.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.aegis.it.testing.Fleet;
import io.aegis.it.testing.SteadySender;
import io.aegis.it.testing.TestCluster;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A rolling restart of a 3-node cluster under a steady send load: each node in turn gets SIGTERM
 * (it drains: its agents move, it exits 0) and starts again. Nothing the API acknowledged is lost
 * and nothing reaches agent code twice.
 */
@Tag("heavy")
class RollingRestartTest {

  @Test
  void aRollingRestartUnderLoadLosesNothingAndDeliversNothingTwice() {
    try (TestCluster cluster = TestCluster.start(3); Fleet fleet = Fleet.start(cluster, "roll", 6)) {
      await().atMost(Duration.ofSeconds(60)).until(fleet::allConnected);
      Set<String> acknowledged;
      try (SteadySender sender = SteadySender.start(cluster.operator(), fleet.agentIds(), 50)) {
        for (int i = 0; i < 3; i++) {
          int node = i;
          cluster.node(i).terminate();
          assertThat(cluster.node(i).awaitExit(Duration.ofSeconds(60))).as("node-%d's exit status", i).isZero();
          cluster.startNode(i);
          await("node-" + i + " ready").atMost(Duration.ofSeconds(60))
              .until(() -> cluster.operator(node).get("/readyz").status() == 200);
        }
        int before = sender.acknowledged().size();
        await().atMost(Duration.ofSeconds(60)).until(() -> sender.acknowledged().size() >= before + 20);
        sender.close();
        acknowledged = sender.acknowledged();
      }
      assertThat(acknowledged).hasSizeGreaterThan(50);
      await("every agent back").atMost(Duration.ofSeconds(60)).until(fleet::allConnected);
      await("every acknowledged send delivered").atMost(Duration.ofSeconds(120))
          .until(() -> fleet.seen().containsAll(acknowledged));
      assertThat(fleet.seenTwice()).as("message ids agent code saw twice").isEmpty();
    }
  }
}
