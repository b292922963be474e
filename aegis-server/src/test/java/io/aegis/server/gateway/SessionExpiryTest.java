package io.aegis.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.server.testing.AgentSocket;
import io.aegis.server.testing.StoreKind;
import io.aegis.server.testing.TestAgent;
import io.aegis.server.testing.TestGateway;
import io.aegis.server.testing.Waits;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** SESSION_TIMEOUT: the gateway closes the session with 4002 when it expires, and the agent handshakes again. */
class SessionExpiryTest {

  @Test
  void theSessionClosesWith4002AtSessionTimeoutAndTheAgentCanHandshakeAgain() {
    try (TestGateway gw = TestGateway.start(StoreKind.SQLITE, Map.of("SESSION_TIMEOUT", "2s"))) {
      TestAgent agent = TestAgent.register(gw, "expiring-agent");
      long start = System.nanoTime();
      Instant before = Instant.now();
      try (TestAgent.Session s = agent.connect()) {
        // SESSION_TIMEOUT after the session opened, in whole seconds.
        Instant expiresAt = Instant.ofEpochSecond(s.established().response().expiresAt());
        assertThat(expiresAt).isBetween(before.plusSeconds(1), Instant.now().plusSeconds(2));
        AgentSocket.Closed closed = s.socket().awaitClose(Waits.EVENT);
        assertThat(closed.code()).isEqualTo(4002);
        assertThat(closed.reason()).isEqualTo("session expired");
        // Not before the timeout; a busy machine only makes it later.
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThan(Duration.ofMillis(1800));
        // The expired token no longer works on the REST API either.
        assertThat(gw.withToken(s.sessionToken()).get("/api/v1/agents/" + agent.agentId()).status()).isEqualTo(401);
      }
      try (TestAgent.Session again = agent.connect()) {
        assertThat(again.socket().isClosed()).isFalse();
      }
    }
  }
}
