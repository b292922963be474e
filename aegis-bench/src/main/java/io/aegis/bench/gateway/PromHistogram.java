package io.aegis.bench.gateway;

import java.util.Map;
import java.util.TreeMap;

/**
 * A Prometheus histogram read from two scrapes: the cumulative bucket counts
 * ({@code <name>_bucket{le="…"}}) of the later minus the earlier, so that quantiles describe only
 * what happened between them. Quantiles are interpolated linearly inside a bucket, as
 * {@code histogram_quantile} does, so they are as coarse as the buckets (micrometer's percentile
 * histogram buckets grow by about a third each). Immutable.
 */
public final class PromHistogram {
  private final TreeMap<Double, Double> cumulative;

  private PromHistogram(TreeMap<Double, Double> cumulative) {
    this.cumulative = cumulative;
  }

  /** Buckets of {@code name} (without {@code _bucket}) whose labels contain {@code labelFragment}, summed over other labels. */
  public static PromHistogram of(GatewayProbe.Reading r, String name, String labelFragment) {
    TreeMap<Double, Double> m = new TreeMap<>();
    String prefix = name + "_bucket{";
    for (Map.Entry<String, Double> e : r.metrics().entrySet()) {
      String k = e.getKey();
      if (!k.startsWith(prefix) || !k.contains(labelFragment)) {
        continue;
      }
      int i = k.indexOf("le=\"");
      if (i < 0) {
        continue;
      }
      String le = k.substring(i + 4, k.indexOf('"', i + 4));
      double bound = le.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le);
      m.merge(bound, e.getValue(), Double::sum);
    }
    return new PromHistogram(m);
  }

  /** This minus {@code earlier}, bucket by bucket. */
  public PromHistogram minus(PromHistogram earlier) {
    TreeMap<Double, Double> m = new TreeMap<>();
    cumulative.forEach((le, c) -> m.put(le, c - earlier.cumulative.getOrDefault(le, 0.0)));
    return new PromHistogram(m);
  }

  public double count() {
    return cumulative.isEmpty() ? 0 : cumulative.lastEntry().getValue();
  }

  /** The {@code q} quantile (0..1) in the histogram's unit, or NaN if empty. */
  public double quantile(double q) {
    double total = count();
    if (total <= 0) {
      return Double.NaN;
    }
    double rank = q * total;
    double prevLe = 0;
    double prevCount = 0;
    for (Map.Entry<Double, Double> e : cumulative.entrySet()) {
      if (e.getValue() >= rank) {
        if (e.getKey().isInfinite()) {
          return prevLe;
        }
        double inBucket = e.getValue() - prevCount;
        return inBucket <= 0 ? e.getKey() : prevLe + (e.getKey() - prevLe) * (rank - prevCount) / inBucket;
      }
      prevLe = e.getKey();
      prevCount = e.getValue();
    }
    return prevLe;
  }
}
