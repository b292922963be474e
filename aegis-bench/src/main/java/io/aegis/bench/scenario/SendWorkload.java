package io.aegis.bench.scenario;

import io.aegis.bench.Harness;
import io.aegis.bench.report.CpuMeter;
import io.aegis.bench.report.LoadDriver;
import io.aegis.bench.report.RateMeter;
import io.vertx.core.Future;
import java.time.Duration;

/**
 * The send workload, independent of what carries it: fire sends through a {@link Sender} at a
 * fixed rate or flat out for a warm-up and then a measured window, stop, and wait (at most 60 s)
 * for every accepted message to arrive. Receipts reach the {@link SendMeter} from the transport's
 * own receive path.
 *
 * @param rate        sends per second, 0 = flat out
 * @param concurrency sends in flight at most
 * @param warmup      unmeasured sending first
 * @param duration    the measured window
 */
record SendWorkload(double rate, int concurrency, Duration warmup, Duration duration) {

  /** Fires one send carrying {@code payload}; completes when it is accepted or refused (recorded in the meter). */
  @FunctionalInterface
  interface Sender {
    Future<?> send(long seq, long scheduled);
  }

  /**
   * The outcome of one run.
   *
   * @param usage        CPU over the measured window
   * @param drainSeconds from the end of sending until everything accepted had arrived (or 60 s)
   * @param started      sends fired
   */
  record Result(SendMeter meter, CpuMeter.Usage usage, double drainSeconds, long started) {
    double acceptedPerSecond() {
      return meter.acceptedInWindow.sum() / meter.measuredSeconds();
    }

    double deliveredPerSecond() {
      return meter.receivedInWindow.sum() / meter.measuredSeconds();
    }
  }

  /** Runs the workload; {@code beforeWindow}/{@code afterWindow} run at the window's edges (metric readings). */
  Result run(Harness h, String label, SendMeter m, Sender sender, Runnable beforeWindow, Runnable afterWindow)
      throws InterruptedException {
    return run(h, label, m, sender, beforeWindow, afterWindow, h::newCpuMeter);
  }

  /** As above, with the server's CPU read from the meter {@code cpuMeter} makes (another server than the gateway). */
  Result run(Harness h, String label, SendMeter m, Sender sender, Runnable beforeWindow, Runnable afterWindow,
             java.util.function.Supplier<CpuMeter> cpuMeter) throws InterruptedException {
    LoadDriver driver = new LoadDriver(h.vertx(), rate, concurrency, sender::send);
    RateMeter acc = new RateMeter(m.accepted::sum);
    RateMeter rec = new RateMeter(m.received::sum);
    h.progress().phase(label + " warm-up", () -> m.line(acc, rec, driver));
    driver.start();
    Thread.sleep(warmup.toMillis());

    beforeWindow.run();
    CpuMeter cpu = cpuMeter.get();
    m.startMeasuring();
    acc.reset();
    rec.reset();
    h.progress().phase(label, () -> m.line(acc, rec, driver));
    Thread.sleep(duration.toMillis());
    m.stopMeasuring();
    CpuMeter.Usage usage = cpu.stop();
    afterWindow.run();
    driver.stop();

    h.progress().phase(label + " drain", () -> m.line(acc, rec, driver));
    long drainStart = System.nanoTime();
    long deadline = drainStart + Duration.ofSeconds(60).toNanos();
    while ((driver.inFlight() > 0 || m.received.sum() < m.accepted.sum()) && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    double drainSeconds = (System.nanoTime() - drainStart) / 1e9;
    m.awaitSamples(Duration.ofSeconds(30));
    return new Result(m, usage, drainSeconds, driver.started());
  }
}
