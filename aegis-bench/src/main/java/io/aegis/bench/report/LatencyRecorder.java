package io.aegis.bench.report;

import java.util.LinkedHashMap;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * A latency distribution recorded from many threads into an HdrHistogram (microsecond
 * resolution, 3 significant digits, values up to 1 hour).
 *
 * <p>{@link #record(long)} is wait-free and thread-safe. {@link #interval()} returns what was
 * recorded since its last call (for the live progress line) and adds it to the running total that
 * {@link #total()} returns. Call {@code interval()} and {@code total()} from one thread.
 */
public final class LatencyRecorder {
  private static final long MAX_MICROS = 3_600_000_000L;

  private final String name;
  private final Recorder recorder = new Recorder(MAX_MICROS, 3);
  private final Histogram total = new Histogram(MAX_MICROS, 3);
  private Histogram reuse;

  /** @param name what is measured, for reports ("handshake", "send_to_receive", ...) */
  public LatencyRecorder(String name) {
    this.name = name;
  }

  public String name() {
    return name;
  }

  /** Records one latency given in nanoseconds (clamped to [0, 1 h]). */
  public void record(long nanos) {
    long micros = Math.max(0, Math.min(MAX_MICROS, nanos / 1_000));
    recorder.recordValue(micros);
  }

  /** What was recorded since the last call, also folded into the total. */
  public Histogram interval() {
    reuse = recorder.getIntervalHistogram(reuse);
    total.add(reuse);
    return reuse;
  }

  /** Everything recorded so far (including what no {@link #interval()} has collected yet). */
  public Histogram total() {
    interval();
    return total;
  }

  /** Clears the running total (for example after a warm-up). */
  public void reset() {
    interval();
    total.reset();
  }

  /** The percentiles of a histogram, in milliseconds: count, p50, p90, p99, p99.9, max, mean. */
  public static Map<String, Object> summary(Histogram h) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("count", h.getTotalCount());
    m.put("p50_ms", ms(h.getValueAtPercentile(50)));
    m.put("p90_ms", ms(h.getValueAtPercentile(90)));
    m.put("p99_ms", ms(h.getValueAtPercentile(99)));
    m.put("p999_ms", ms(h.getValueAtPercentile(99.9)));
    m.put("max_ms", ms(h.getMaxValue()));
    m.put("mean_ms", h.getTotalCount() == 0 ? 0.0 : Math.round(h.getMean()) / 1000.0);
    return m;
  }

  /** "p50 1.2 / p99 3.4 ms"-style text for the progress line. */
  public static String brief(Histogram h) {
    if (h.getTotalCount() == 0) {
      return "-";
    }
    return String.format("p50 %s p99 %s max %s ms", fmt(h.getValueAtPercentile(50)),
        fmt(h.getValueAtPercentile(99)), fmt(h.getMaxValue()));
  }

  private static double ms(long micros) {
    return micros / 1000.0;
  }

  static String fmt(long micros) {
    double ms = micros / 1000.0;
    return ms >= 100 ? String.format("%.0f", ms) : ms >= 10 ? String.format("%.1f", ms) : String.format("%.2f", ms);
  }
}
