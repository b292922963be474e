package io.aegis.server.edge;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Token buckets by key (a client address): each key may make {@code ratePerSecond} attempts a
 * second on average, {@code burst} at once. Keeps at most {@code maxKeys} buckets, forgetting the
 * least recently used, so an attacker cycling addresses cannot grow it without bound.
 *
 * <p>Thread-safe. A rate of 0 disables the limit (the null object: {@link #allow} is always true).
 */
public final class RateLimiter {
  private final double ratePerNano;
  private final double burst;
  private final Map<String, Bucket> buckets;

  private static final class Bucket {
    double tokens;
    long refilledAt;
  }

  public RateLimiter(double ratePerSecond, double burst, int maxKeys) {
    this.ratePerNano = ratePerSecond / 1e9;
    this.burst = burst;
    this.buckets = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Bucket> eldest) {
        return size() > maxKeys;
      }
    };
  }

  /** Whether {@code key} has no token left now (takes none). */
  public boolean exhausted(String key) {
    if (ratePerNano <= 0) {
      return false;
    }
    long now = System.nanoTime();
    synchronized (buckets) {
      Bucket b = buckets.get(key);
      return b != null && Math.min(burst, b.tokens + (now - b.refilledAt) * ratePerNano) < 1;
    }
  }

  /** Takes one token for {@code key}; false if the key is over its rate. */
  public boolean allow(String key) {
    if (ratePerNano <= 0) {
      return true;
    }
    long now = System.nanoTime();
    synchronized (buckets) {
      Bucket b = buckets.get(key);
      if (b == null) {
        b = new Bucket();
        b.tokens = burst;
        b.refilledAt = now;
        buckets.put(key, b);
      }
      b.tokens = Math.min(burst, b.tokens + (now - b.refilledAt) * ratePerNano);
      b.refilledAt = now;
      if (b.tokens < 1) {
        return false;
      }
      b.tokens -= 1;
      return true;
    }
  }
}
