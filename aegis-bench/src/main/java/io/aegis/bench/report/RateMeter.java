package io.aegis.bench.report;

import java.util.function.LongSupplier;

/**
 * The rate of a growing counter between successive {@link #sample()} calls, and the highest
 * such rate seen (for a "peak per second" figure when sampled once a second). Call from one thread.
 */
public final class RateMeter {
  private final LongSupplier counter;
  private long lastValue;
  private long lastNanos;
  private double peak;

  public RateMeter(LongSupplier counter) {
    this.counter = counter;
    reset();
  }

  /** Starts over from the counter's current value. */
  public void reset() {
    lastValue = counter.getAsLong();
    lastNanos = System.nanoTime();
    peak = 0;
  }

  /** The rate (per second) since the previous sample. */
  public double sample() {
    long v = counter.getAsLong();
    long now = System.nanoTime();
    double rate = (v - lastValue) / Math.max(1e-9, (now - lastNanos) / 1e9);
    lastValue = v;
    lastNanos = now;
    peak = Math.max(peak, rate);
    return rate;
  }

  /** Takes a final sample if at least {@code minMillis} passed since the last one (short tails are noise). */
  public void sampleIfOlderThan(long minMillis) {
    if (System.nanoTime() - lastNanos >= minMillis * 1_000_000L) {
      sample();
    }
  }

  public double peak() {
    return peak;
  }
}
