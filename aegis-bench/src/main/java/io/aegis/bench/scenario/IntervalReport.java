package io.aegis.bench.scenario;

import io.aegis.bench.Harness;
import io.aegis.bench.gateway.GatewayProbe;
import io.aegis.bench.report.LatencyRecorder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * {@code send --report-every D}: a line every D of the measured window, for soak runs: sends
 * accepted and received in the interval, send → receive latency of the interval, and the
 * gateway's heap <em>after a full GC</em> (forced with {@code jcmd GC.run} when the bench knows its
 * pid: heap "as found" says nothing about a leak), RSS and open files. A leak shows as heap after GC
 * that keeps rising; RSS that rises while heap after GC stays flat is the JVM sizing its heap or
 * the allocator keeping freed memory, not a leak. The lines also go into the JSON report.
 */
final class IntervalReport implements AutoCloseable {
  private final Harness h;
  private final SendMeter m;
  private final Duration every;
  private final List<Map<String, Object>> rows = new ArrayList<>();
  private final Thread thread;
  private final long start = System.nanoTime();
  private Histogram seen = new Histogram(3);
  private long accepted;
  private long received;

  IntervalReport(Harness h, SendMeter m, Duration every) {
    this.h = h;
    this.m = m;
    this.every = every;
    this.accepted = m.accepted.sum();
    this.received = m.received.sum();
    this.thread = Thread.ofPlatform().daemon().name("bench-interval-report").unstarted(this::loop);
  }

  void start() {
    thread.start();
  }

  private void loop() {
    long next = start + every.toNanos();
    while (true) {
      long wait = next - System.nanoTime();
      try {
        if (wait > 0) {
          Thread.sleep(Duration.ofNanos(wait));
        }
      } catch (InterruptedException e) {
        return;
      }
      tick();
      next += every.toNanos();
    }
  }

  private synchronized void tick() {
    Histogram total = m.endToEnd.total().copy();
    Histogram interval = total.copy();
    interval.subtract(seen);
    seen = total;
    long acc = m.accepted.sum();
    long rec = m.received.sum();
    boolean gc = h.probe().forceGc();
    GatewayProbe.Reading r = h.probe().read();
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("at_seconds", Math.round((System.nanoTime() - start) / 1e9));
    row.put("accepted", acc - accepted);
    row.put("received", rec - received);
    row.put("refused_total", m.refusedCount());
    row.putAll(LatencyRecorder.summary(interval));
    row.put(gc ? "heap_after_gc_mib" : "heap_as_found_mib", Harness.round(r.heapUsedBytes() / (1 << 20)));
    row.put("rss_mib", Harness.round(r.rssBytes() / (1 << 20)));
    row.put("open_files", Math.round(r.sum("process_files_open_files", "")));
    rows.add(row);
    accepted = acc;
    received = rec;
    h.progress().say(String.format("[%s] accepted %d  received %d  refused %d  send→receive %s  heap%s %.1f MiB  "
            + "RSS %.1f MiB  files %d", row.get("at_seconds") + " s", row.get("accepted"), row.get("received"),
        m.refusedCount(), LatencyRecorder.brief(interval), gc ? " after GC" : " (as found)",
        r.heapUsedBytes() / (1 << 20), r.rssBytes() / (1 << 20), row.get("open_files")));
  }

  /** Stops the lines and puts them, with the heap's growth over the second half, into the report. */
  @Override
  public synchronized void close() {
    thread.interrupt();
    h.report().extra("intervals", List.copyOf(rows));
    if (rows.size() >= 2 && rows.get(0).containsKey("heap_after_gc_mib")) {
      double mid = (double) rows.get(rows.size() / 2).get("heap_after_gc_mib");
      double last = (double) rows.get(rows.size() - 1).get("heap_after_gc_mib");
      h.report().figure("heap_after_gc_growth_second_half", Harness.round(last - mid), "MiB",
          "gateway heap after a forced full GC: last interval minus the middle one (a leak shows as steady growth)");
    }
  }
}
