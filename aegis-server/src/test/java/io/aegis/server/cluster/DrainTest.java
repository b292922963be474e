package io.aegis.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.aegis.server.testing.AgentSocket;
import io.aegis.server.testing.StoreKind;
import io.aegis.server.testing.TestAgent;
import io.aegis.server.testing.TestGateway;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A node asked to drain ({@code POST /api/v1/nodes/{node_id}/drain}, or SIGTERM): it stops being
 * ready, refuses new sessions, asks its agents to reconnect elsewhere (4009) spread over the
 * drain period, and stops. (Draining one node of a cluster through another is in aegis-it.)
 */
class DrainTest {

  @Test
  void aDrainedNodeClosesItsSessionsWith4009OverTheDrainPeriodAndStops() {
    try (TestGateway gw = TestGateway.start(StoreKind.SQLITE, Map.of("AEGIS_DRAIN_PERIOD", "2s"))) {
      List<TestAgent.Session> sessions = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        sessions.add(TestAgent.register(gw, "drained-" + i).connect());
      }
      long start = System.nanoTime();
      var r = gw.operator().post("/api/v1/nodes/test-node/drain", Map.of());
      assertThat(r.status()).as(r.body()).isEqualTo(202);
      assertThat(r.json().path("state").asText()).isEqualTo("draining");

      // Each session's close is watched on its own, so that the times are when each happened.
      List<java.util.concurrent.CompletableFuture<Long>> closedAfterMillis = new ArrayList<>();
      for (TestAgent.Session s : sessions) {
        closedAfterMillis.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> {
          AgentSocket.Closed closed = s.socket().awaitClose(Duration.ofSeconds(30));
          assertThat(closed.code()).isEqualTo(4009);
          assertThat(closed.reason()).isEqualTo("node draining");
          return (System.nanoTime() - start) / 1_000_000;
        }));
      }
      List<Long> times = closedAfterMillis.stream().map(java.util.concurrent.CompletableFuture::join).sorted().toList();
      // Spread over the period (2 s for 6 sessions: one every ~333 ms), not all at once.
      assertThat(times.get(times.size() - 1) - times.get(0)).isGreaterThan(800);
      await().atMost(Duration.ofSeconds(60)).until(() -> gw.server().closed().isDone());
    }
  }

  @Test
  void whileItDrainsANodeIsNotReadyAndRefusesNewSessions() {
    try (TestGateway gw = TestGateway.start(StoreKind.SQLITE, Map.of("AEGIS_DRAIN_PERIOD", "20s"))) {
      TestAgent.Session holding = TestAgent.register(gw, "holding").connect();
      TestAgent newcomer = TestAgent.register(gw, "newcomer");
      gw.operator().post("/api/v1/nodes/test-node/drain", Map.of());
      await().atMost(Duration.ofSeconds(10)).until(() -> gw.anonymous().get("/readyz").status() == 503);
      assertThat(gw.anonymous().get("/readyz").json().path("node_id").asText()).isEqualTo("test-node");
      AgentSocket.Refused refused = catchRefusal(newcomer);
      assertThat(refused).isNotNull();
      assertThat(refused.status()).isEqualTo(503);
      holding.close();
    }
  }

  @Test
  void theNodesOfANodeAloneAreItselfAndAnUnknownNodeCannotBeDrained() {
    try (TestGateway gw = TestGateway.start(StoreKind.SQLITE)) {
      var nodes = gw.operator().get("/api/v1/nodes");
      assertThat(nodes.status()).isEqualTo(200);
      assertThat(nodes.json().path("nodes")).hasSize(1);
      assertThat(nodes.json().path("nodes").get(0).path("node_id").asText()).isEqualTo("test-node");
      assertThat(nodes.json().path("nodes").get(0).path("state").asText()).isEqualTo("up");

      var unknown = gw.operator().post("/api/v1/nodes/elsewhere/drain", Map.of());
      assertThat(unknown.status()).isEqualTo(404);
      assertThat(unknown.errorCode()).isEqualTo("not_found");
      var bad = gw.operator().post("/api/v1/nodes/bad%20id/drain", Map.of());
      assertThat(bad.status()).isEqualTo(400);
    }
  }

  private static AgentSocket.Refused catchRefusal(TestAgent agent) {
    try {
      agent.connect().close();
      return null;
    } catch (AgentSocket.Refused e) {
      return e;
    } catch (IllegalStateException e) {
      return e.getCause() instanceof AgentSocket.Refused r ? r : null;
    }
  }
}
