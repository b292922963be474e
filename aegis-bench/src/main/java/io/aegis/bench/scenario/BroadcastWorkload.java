package io.aegis.bench.scenario;

import io.aegis.bench.Harness;
import io.aegis.bench.agent.BenchPayload;
import io.aegis.bench.report.CpuMeter;
import io.aegis.bench.report.LatencyRecorder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The broadcast workload, independent of what carries it: {@code warmup} unmeasured then
 * {@code repeat} measured broadcasts, one at a time, each recognised at the recipients by the
 * send time in its body; the transport's receive path feeds {@link #received}.
 *
 * <p>Thread-safe.
 */
final class BroadcastWorkload {
  /**
   * One broadcast's timings in milliseconds from the request's start (-1 = did not happen).
   *
   * @param acceptedMs  until the sender's request was answered (HTTP 2xx, or the broker's PUBACK)
   * @param lastAckMs   until the gateway showed every recipient delivered (-1 where not observable)
   */
  record Run(double acceptedMs, double firstDeliveryMs, double lastDeliveryMs, double lastAckMs, int reached,
             int recipients, double gatewayCpuSeconds) {
    /** For the progress line: what happened, in milliseconds from the request. */
    String describe() {
      return String.format("reached %d/%d agents; accepted %s, first delivery %s, last delivery %s, last ack %s; "
          + "gateway CPU %.2f s", reached, recipients, ms(acceptedMs), ms(firstDeliveryMs), ms(lastDeliveryMs),
          ms(lastAckMs), gatewayCpuSeconds);
    }

    private static String ms(double v) {
      return v < 0 ? "never" : String.format("%.1f ms", v);
    }
  }

  /** Sends one broadcast whose body is {@code payload}; returns the time accepted (ms) and recipients. */
  interface Caster {
    /** @return {accepted ms, recipients, id-or-null} */
    Object[] cast(String payload, long t0) throws Exception;

    /** Waits until every recipient's ack is visible; ms from t0, -1 if not observable or timed out. */
    double awaitAcks(Object id, int recipients, long t0, long deadline) throws Exception;
  }

  private final AtomicLong current = new AtomicLong(-1);
  private final AtomicInteger reached = new AtomicInteger();
  private final AtomicLong first = new AtomicLong(Long.MAX_VALUE);
  private final AtomicLong last = new AtomicLong();
  final LatencyRecorder perAgent = new LatencyRecorder("delivery_per_agent");

  /** A message arrived at a recipient; counted if it is the current broadcast. */
  void received(byte[] body, long now) {
    long t0 = current.get();
    if (BenchPayload.timestamp(body) == t0) {
      reached.incrementAndGet();
      perAgent.record(now - t0);
      first.accumulateAndGet(now, Math::min);
      last.accumulateAndGet(now, Math::max);
    }
  }

  List<Run> run(Harness h, String label, int size, int warmup, int repeat, Duration timeout, long gatewayPid,
                Caster caster) throws Exception {
    List<Run> runs = new ArrayList<>();
    for (int i = 0; i < warmup + repeat; i++) {
      boolean measured = i >= warmup;
      String name = label + (measured ? " broadcast " + (i - warmup + 1) + "/" + repeat : " warm-up broadcast");
      reached.set(0);
      first.set(Long.MAX_VALUE);
      last.set(0);
      if (i == warmup) {
        perAgent.reset();
      }
      h.progress().phase(name, () -> "delivered to " + reached.get());
      // Every node of a spawned cluster, or the one gateway (none for a peer broker: -1).
      CpuMeter cpu = gatewayPid > 0 ? h.newCpuMeter() : new CpuMeter(-1);
      long t0 = System.nanoTime();
      current.set(t0);
      Object[] a = caster.cast(BenchPayload.create(size, t0), t0);
      double acceptedMs = (Double) a[0];
      int recipients = (Integer) a[1];
      long deadline = t0 + timeout.toNanos();
      while (reached.get() < recipients && System.nanoTime() < deadline) {
        Thread.sleep(1);
      }
      double lastAck = caster.awaitAcks(a[2], recipients, t0, deadline);
      CpuMeter.Usage u = cpu.stop();
      Run run = new Run(Harness.round(acceptedMs),
          first.get() == Long.MAX_VALUE ? -1 : Harness.round((first.get() - t0) / 1e6),
          reached.get() < recipients ? -1 : Harness.round((last.get() - t0) / 1e6), Harness.round(lastAck),
          reached.get(), recipients, Harness.round(u.gateway()));
      h.progress().say(name + ": " + run.describe());
      if (measured) {
        runs.add(run);
      }
      Thread.sleep(1000);
    }
    return runs;
  }

  static double median(List<Run> runs, java.util.function.ToDoubleFunction<Run> f) {
    double[] v = runs.stream().mapToDouble(f).sorted().toArray();
    return v.length == 0 ? -1 : v[v.length / 2];
  }
}
