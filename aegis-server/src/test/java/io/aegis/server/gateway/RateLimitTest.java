package io.aegis.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.aegis.server.testing.AgentSocket;
import io.aegis.server.testing.StoreKind;
import io.aegis.server.testing.TestAgent;
import io.aegis.server.testing.TestGateway;
import io.aegis.server.testing.Waits;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** The gateway's limits on sessions, upgrades and records: each with its own small node. */
class RateLimitTest {

  @Test
  void aBurstOfRecordsOverTheSessionRateClosesWith4005() {
    try (TestGateway gw = TestGateway.start(StoreKind.SQLITE, Map.of("AEGIS_SESSION_RATE_LIMIT", "5"))) {
      try (TestAgent.Session s = TestAgent.register(gw, "chatty").connect()) {
        try {
          for (int i = 0; i < 50 && !s.socket().isClosed(); i++) {
            s.send("ack-" + i, "ack", "events", Map.of(), "{}");
          }
        } catch (java.util.concurrent.CompletionException e) {
          // the gateway closed the connection mid-burst: what this test wants
        }
        AgentSocket.Closed closed = s.socket().awaitClose();
        assertThat(closed.code()).isEqualTo(4005);
        assertThat(closed.reason()).isEqualTo("rate limited");
      }
      Awaitility.await().atMost(Waits.EVENT).untilAsserted(() -> assertThat(gw.anonymous().get("/metrics").body())
          .containsPattern(RecordLayerSocketTest.sample("aegis_sessions_closed_total", "code=\"4005\"")));
    }
  }

  @Test
  void recordsWithinTheSessionRateAreAccepted() throws Exception {
    try (TestGateway gw = TestGateway.start(StoreKind.SQLITE, Map.of("AEGIS_SESSION_RATE_LIMIT", "5"))) {
      try (TestAgent.Session s = TestAgent.register(gw, "polite").connect()) {
        for (int i = 0; i < 8; i++) { // the burst allowance is twice the rate
          s.send("ack-" + i, "ack", "events", Map.of(), "{}");
        }
        s.keyUpdateRoundTrip(); // answered: every record before it opened
        assertThat(s.socket().isClosed()).isFalse();
      }
    }
  }

  @Test
  void upgradesOverTheHandshakeRateGet429() {
    try (TestGateway gw = TestGateway.start(StoreKind.SQLITE, Map.of("AEGIS_HANDSHAKE_RATE_LIMIT", "1"))) {
      TestAgent agent = TestAgent.register(gw, "hasty");
      // A burst of twice the rate is allowed, then upgrades in a row are refused. Each refused or
      // accepted upgrade takes time, in which the bucket refills (1/s): on a busy machine it may
      // take a few more before one is refused, never fewer than the burst.
      agent.socket().close();
      agent.socket().close();
      AgentSocket.Refused refused = null;
      for (int i = 0; i < 50 && refused == null; i++) {
        try {
          agent.socket().close();
        } catch (AgentSocket.Refused r) {
          refused = r;
        }
      }
      assertThat(refused).isNotNull();
      assertThat(refused.status()).isEqualTo(429);
      assertThat(refused.body()).contains("rate_limited");
    }
  }

  @Test
  void aFullNodeRefusesOtherAgentsWith503ButLetsAnAgentReplaceItsOwnSession() {
    try (TestGateway gw = TestGateway.start(StoreKind.SQLITE, Map.of("AEGIS_MAX_SESSIONS", "1"))) {
      TestAgent first = TestAgent.register(gw, "first");
      TestAgent second = TestAgent.register(gw, "second");
      try (TestAgent.Session s1 = first.connect()) {
        AgentSocket.Refused refused = catchThrowableOfType(AgentSocket.Refused.class, second::socket);
        assertThat(refused).isNotNull();
        assertThat(refused.status()).isEqualTo(503);
        assertThat(refused.body()).contains("overloaded");
        try (TestAgent.Session replacement = first.connect()) {
          assertThat(s1.socket().awaitClose().code()).isEqualTo(4004);
          assertThat(replacement.socket().isClosed()).isFalse();
        }
      }
    }
  }
}
