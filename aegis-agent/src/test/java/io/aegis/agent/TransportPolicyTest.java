package io.aegis.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.agent.TransportPolicy.Verdict;
import io.aegis.protocol.handshake.HandshakeException;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The switching policy: which WebSocket ends count, when the client falls back, probe jitter. */
class TransportPolicyTest {

  private static final Duration STABLE = Duration.ofSeconds(10);

  private static TransportPolicy policy(int after) {
    return new TransportPolicy(true, after, Duration.ofSeconds(60), STABLE, new Random(7));
  }

  private static Disconnect closed(int code, Duration lasted) {
    return new Disconnect(code, "", 0, lasted, null);
  }

  private static Disconnect refused(int status) {
    return new Disconnect(Disconnect.ABNORMAL, "upgrade refused: HTTP " + status, status, null, null);
  }

  private static Disconnect handshakeFailed(HandshakeException.Reason reason) {
    return new Disconnect(4001, "handshake failed", 0, null, new HandshakeException(reason, "x"));
  }

  @Test
  void theWebSocketPathFailing() {
    for (int code : new int[] {1006, 1001, 1011, 4006, 4007, 4008, 4321}) {
      assertThat(TransportPolicy.classify(closed(code, null))).as("close %d", code).isEqualTo(Verdict.FAILURE);
      assertThat(TransportPolicy.classify(closed(code, Duration.ofSeconds(1)))).as("close %d after a session", code)
          .isEqualTo(Verdict.FAILURE);
    }
    // 5xx and 429 on the upgrade, and what a proxy or a wrong path answers.
    for (int status : new int[] {500, 502, 503, 429, 400, 403, 404, 405, 426}) {
      assertThat(TransportPolicy.classify(refused(status))).as("HTTP %d", status).isEqualTo(Verdict.FAILURE);
    }
    // A handshake that fails on the agent's side: something on the path mangles it.
    assertThat(TransportPolicy.classify(handshakeFailed(HandshakeException.Reason.MALFORMED))).isEqualTo(Verdict.FAILURE);
    assertThat(TransportPolicy.classify(handshakeFailed(HandshakeException.Reason.DECRYPT_FAILED)))
        .isEqualTo(Verdict.FAILURE);
  }

  @Test
  void theGatewayRefusingTheAgent() {
    assertThat(TransportPolicy.classify(refused(401))).isEqualTo(Verdict.REFUSED);
    assertThat(TransportPolicy.classify(closed(4001, null))).isEqualTo(Verdict.REFUSED);
    assertThat(TransportPolicy.classify(handshakeFailed(HandshakeException.Reason.REJECTED_BY_SERVER)))
        .isEqualTo(Verdict.REFUSED);
  }

  @Test
  void sessionsThatWorked() {
    for (int code : new int[] {1000, 1009, 4002, 4005}) {
      assertThat(TransportPolicy.classify(closed(code, Duration.ofSeconds(1)))).as("close %d", code)
          .isEqualTo(Verdict.WORKED);
    }
  }

  @Test
  void fallsBackAfterTheConfiguredNumberOfConsecutiveFailures() {
    TransportPolicy p = policy(3);
    assertThat(p.fallBackAfter(refused(503))).isFalse();
    assertThat(p.fallBackAfter(closed(1006, null))).isFalse();
    assertThat(p.failures()).isEqualTo(2);
    assertThat(p.fallBackAfter(closed(4007, null))).isTrue();
  }

  @Test
  void aSessionThatWorkedStartsTheCountAgain() {
    TransportPolicy p = policy(3);
    p.fallBackAfter(refused(503));
    p.fallBackAfter(refused(503));
    assertThat(p.fallBackAfter(closed(4002, Duration.ofSeconds(1)))).isFalse();
    assertThat(p.failures()).isZero();
    p.fallBackAfter(refused(503));
    p.fallBackAfter(refused(503));
    assertThat(p.failures()).isEqualTo(2);
  }

  @Test
  void aStableSessionStartsTheCountAgainBeforeItsOwnEndCounts() {
    TransportPolicy p = policy(2);
    p.fallBackAfter(refused(503));
    // A session that lasted and then closed with 1011 is one failure, not the second in a row.
    assertThat(p.fallBackAfter(closed(1011, Duration.ofMinutes(5)))).isFalse();
    assertThat(p.failures()).isEqualTo(1);
    // Sessions that die young do count: the WebSocket is not usable.
    assertThat(p.fallBackAfter(closed(1011, Duration.ofSeconds(2)))).isTrue();
  }

  @Test
  void theGatewaysRefusalNeitherCountsNorResets() {
    TransportPolicy p = policy(3);
    p.fallBackAfter(refused(503));
    p.fallBackAfter(refused(401));
    p.fallBackAfter(handshakeFailed(HandshakeException.Reason.REJECTED_BY_SERVER));
    assertThat(p.failures()).isEqualTo(1);
    p.fallBackAfter(refused(503));
    assertThat(p.fallBackAfter(refused(503))).isTrue();
  }

  @Test
  void disabledNeverFallsBack() {
    TransportPolicy p = new TransportPolicy(false, 1, Duration.ofSeconds(60), STABLE, new Random(1));
    for (int i = 0; i < 10; i++) {
      assertThat(p.fallBackAfter(refused(503))).isFalse();
    }
  }

  @Test
  void resetAfterReturningToTheWebSocket() {
    TransportPolicy p = policy(1);
    assertThat(p.fallBackAfter(refused(503))).isTrue();
    p.reset();
    assertThat(p.failures()).isZero();
  }

  @Test
  void probesAreSpreadAroundTheInterval() {
    TransportPolicy p = policy(3);
    long min = Long.MAX_VALUE;
    long max = 0;
    for (int i = 0; i < 2000; i++) {
      long ms = p.nextProbeDelay().toMillis();
      min = Math.min(min, ms);
      max = Math.max(max, ms);
    }
    assertThat(min).isBetween(45_000L, 48_000L);
    assertThat(max).isBetween(72_000L, 75_000L);
  }
}
