package io.aegis.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.protocol.CloseCode.Reaction;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ReconnectPolicyTest {

  private final ReconnectPolicy policy = new ReconnectPolicy(
      new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(60), new Random(1)),
      new Backoff(Duration.ofSeconds(30), Duration.ofMinutes(15), new Random(2)),
      Duration.ofSeconds(10));

  private static Disconnect closed(int code, Duration lasted) {
    return new Disconnect(code, "", 0, lasted, null);
  }

  private static Disconnect refused(int status) {
    return new Disconnect(Disconnect.ABNORMAL, "upgrade refused: HTTP " + status, status, null, null);
  }

  @Test
  void revokedAndReplacedStop() {
    assertThat(policy.decide(closed(4003, Duration.ofMinutes(5))).reaction()).isEqualTo(Reaction.STOP);
    assertThat(policy.decide(closed(4004, Duration.ofMinutes(5))).reaction()).isEqualTo(Reaction.STOP);
    assertThat(policy.decide(closed(4003, Duration.ofMinutes(5))).delay()).isNull();
  }

  @Test
  void sessionExpiredReconnectsAtOnceButNotInALoop() {
    var first = policy.decide(closed(4002, Duration.ofMillis(5)));
    assertThat(first.reaction()).isEqualTo(Reaction.RECONNECT_NOW);
    assertThat(first.delay()).isZero();
    // The next session expired again before it became stable: back off instead of hammering.
    var second = policy.decide(closed(4002, Duration.ofMillis(5)));
    assertThat(second.reaction()).isEqualTo(Reaction.RECONNECT_BACKOFF);
    // A session that lasted re-arms the immediate reconnect.
    var third = policy.decide(closed(4002, Duration.ofHours(24)));
    assertThat(third.reaction()).isEqualTo(Reaction.RECONNECT_NOW);
    assertThat(third.delay()).isZero();
  }

  @Test
  void ordinaryClosesAndNetworkErrorsUseTheNormalBackoff() {
    for (int code : new int[] {1000, 1001, 1006, 1009, 4006, 4007, 4999}) {
      var d = policy.decide(closed(code, null));
      assertThat(d.reaction()).as("code %d", code).isEqualTo(Reaction.RECONNECT_BACKOFF);
      assertThat(d.delay()).isLessThanOrEqualTo(Duration.ofSeconds(60));
    }
  }

  @Test
  void aDrainingNodeIsLeftSoonAndTheBackoffStaysFresh() {
    ReconnectPolicy p = new ReconnectPolicy(
        new Backoff(Duration.ofMillis(1000), Duration.ofDays(1), new FixedMax()),
        new Backoff(Duration.ofMillis(1000), Duration.ofDays(1), new FixedMax()), Duration.ofSeconds(10));
    // Failures had grown the backoff, then the node the agent reached drains (its session was short).
    p.decide(closed(1006, null));
    p.decide(closed(1006, null));
    var drained = p.decide(closed(4009, Duration.ofMillis(100)));
    assertThat(drained.reaction()).isEqualTo(Reaction.RECONNECT_SOON);
    assertThat(drained.delay()).isLessThanOrEqualTo(Duration.ofSeconds(1));
    // Nothing failed: the next failure starts from the base again.
    assertThat(p.decide(closed(1006, null)).delay()).isLessThanOrEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void authFailureAndRateLimitingUseTheLongBackoff() {
    var auth = policy.decide(closed(4001, null));
    assertThat(auth.reaction()).isEqualTo(Reaction.RECONNECT_BACKOFF_LONG);
    assertThat(auth.delay()).isLessThanOrEqualTo(Duration.ofSeconds(30));
    var limited = policy.decide(closed(4005, null));
    assertThat(limited.reaction()).isEqualTo(Reaction.RECONNECT_BACKOFF_LONG);
    assertThat(limited.delay()).isLessThanOrEqualTo(Duration.ofSeconds(60));
  }

  @Test
  void httpRefusalsBeforeTheUpgradeMapToTheirCloseCodes() {
    assertThat(policy.decide(refused(401)).reaction()).isEqualTo(Reaction.RECONNECT_BACKOFF_LONG);
    assertThat(policy.decide(refused(403)).reaction()).isEqualTo(Reaction.RECONNECT_BACKOFF_LONG);
    assertThat(policy.decide(refused(429)).reaction()).isEqualTo(Reaction.RECONNECT_BACKOFF_LONG);
    assertThat(policy.decide(refused(503)).reaction()).isEqualTo(Reaction.RECONNECT_BACKOFF);
    assertThat(policy.decide(refused(404)).reaction()).isEqualTo(Reaction.RECONNECT_BACKOFF);
  }

  @Test
  void backoffGrowsUntilASessionStaysUp() {
    ReconnectPolicy p = new ReconnectPolicy(
        new Backoff(Duration.ofMillis(1), Duration.ofDays(1), new FixedMax()),
        new Backoff(Duration.ofMillis(1), Duration.ofDays(1), new FixedMax()), Duration.ofSeconds(10));
    assertThat(p.decide(closed(1006, null)).delay()).isEqualTo(Duration.ofMillis(1));
    assertThat(p.decide(closed(1006, null)).delay()).isEqualTo(Duration.ofMillis(2));
    assertThat(p.decide(closed(1006, Duration.ofSeconds(1))).delay()).isEqualTo(Duration.ofMillis(4));
    // That session lasted 1 s, not stable; this one lasted a minute: start over.
    assertThat(p.decide(closed(1001, Duration.ofMinutes(1))).delay()).isEqualTo(Duration.ofMillis(1));
  }

  /** Always draws the top of the range, to make the ceilings visible. */
  private static final class FixedMax extends Random {
    @Override
    public long nextLong(long bound) {
      return bound - 1;
    }
  }
}
