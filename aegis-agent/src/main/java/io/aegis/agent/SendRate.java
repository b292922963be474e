package io.aegis.agent;

import java.util.function.LongSupplier;

/**
 * A token bucket for the records the outbox writes: {@code perSecond} on average, bursts of
 * {@code 2 × perSecond}. The gateway closes a session that sends more than its
 * {@code AEGIS_SESSION_RATE_LIMIT} (default 200 records/s, bursts of 400) with 4005 and the agent
 * then waits a long backoff; pacing the outbox below that keeps a busy agent connected. Messages
 * beyond the rate wait in the outbox (its bound and send timeouts still apply). A rate of 0
 * disables pacing.
 *
 * <p>Not thread-safe; used on the I/O thread.
 */
final class SendRate {

  private final double perNano;
  private final double burst;
  private final LongSupplier nanoTime;
  private double tokens;
  private long refilledAt;

  SendRate(int perSecond, LongSupplier nanoTime) {
    this.perNano = perSecond / 1e9;
    this.burst = perSecond * 2.0;
    this.nanoTime = nanoTime;
    this.tokens = burst;
    this.refilledAt = nanoTime.getAsLong();
  }

  /** Takes one token if there is one. */
  boolean tryTake() {
    if (perNano == 0) {
      return true;
    }
    refill();
    if (tokens < 1) {
      return false;
    }
    tokens -= 1;
    return true;
  }

  /** Milliseconds until a token is available (at least 1). */
  long millisUntilNext() {
    refill();
    return Math.max(1, (long) Math.ceil((1 - tokens) / perNano / 1e6));
  }

  private void refill() {
    long now = nanoTime.getAsLong();
    tokens = Math.min(burst, tokens + (now - refilledAt) * perNano);
    refilledAt = now;
  }
}
