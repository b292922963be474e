package io.aegis.agent;

import java.time.Duration;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And
 * Jitter"): the n-th wait (n from 0) is a uniformly random duration in
 * {@code [0, min(cap, base × 2^n)]}, in whole milliseconds. Full jitter spreads a fleet of agents
 * that lost the same gateway at the same moment over the whole window, so they do not come back
 * as a thundering herd.
 *
 * <p>Not thread-safe; the client uses it on its I/O thread only.
 */
final class Backoff {

  private final long baseMillis;
  private final long capMillis;
  private final RandomGenerator random;
  private int attempt;

  /**
   * @param base   ceiling of the first wait (at least 1 ms)
   * @param cap    largest ceiling (at least {@code base})
   * @param random source of the jitter
   */
  Backoff(Duration base, Duration cap, RandomGenerator random) {
    this.baseMillis = base.toMillis();
    this.capMillis = cap.toMillis();
    if (baseMillis < 1) {
      throw new IllegalArgumentException("backoff base must be at least 1 ms, was " + base);
    }
    if (capMillis < baseMillis) {
      throw new IllegalArgumentException("backoff cap (" + cap + ") must not be below its base (" + base + ")");
    }
    this.random = Objects.requireNonNull(random, "random");
  }

  /** The ceiling of wait number {@code attempt}: {@code min(cap, base × 2^attempt)}, without overflow. */
  static long ceilingMillis(long baseMillis, long capMillis, int attempt) {
    if (attempt >= 62 || baseMillis > (capMillis >> Math.min(attempt, 62))) {
      return capMillis;
    }
    return Math.min(capMillis, baseMillis << attempt);
  }

  /** The next wait; each call doubles the ceiling until it reaches the cap. */
  Duration next() {
    long ceiling = ceilingMillis(baseMillis, capMillis, attempt);
    if (attempt < Integer.MAX_VALUE) {
      attempt++;
    }
    return Duration.ofMillis(random.nextLong(ceiling + 1));
  }

  /** Starts over from the base (after a session that stayed up). */
  void reset() {
    attempt = 0;
  }

  /** How many waits were handed out since the last reset. */
  int attempt() {
    return attempt;
  }
}
