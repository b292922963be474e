package io.aegis.bench.agent;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Reconnect delays as the agent SDK computes them: exponential backoff with full jitter — attempt
 * {@code k} (from 0) waits a uniform random time in {@code [0, min(cap, base * 2^k))}. With
 * {@link #NONE} every wait is zero (a storm with no jitter at all). Immutable.
 *
 * @param base the first attempt's upper bound (PROTOCOL.md §12 suggests 1 s)
 * @param cap  the largest upper bound (PROTOCOL.md §12 suggests 60 s)
 */
public record Backoff(Duration base, Duration cap) {
  /** No delay at all. */
  public static final Backoff NONE = new Backoff(Duration.ZERO, Duration.ZERO);

  /** The delay before attempt {@code attempt} (0 = the first reconnect), in milliseconds. */
  public long delayMillis(int attempt) {
    long b = base.toMillis();
    if (b <= 0) {
      return 0;
    }
    long bound = Math.min(cap.toMillis(), b << Math.min(attempt, 20));
    return ThreadLocalRandom.current().nextLong(Math.max(1, bound));
  }

  @Override
  public String toString() {
    return base.isZero() ? "none" : "full jitter, base " + base.toMillis() + " ms, cap " + cap.toMillis() + " ms";
  }
}
