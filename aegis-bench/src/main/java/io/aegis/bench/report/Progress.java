package io.aegis.bench.report;

import java.io.PrintStream;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The live progress line: once a second, on stderr, {@code [  12.0s] phase: <line>} where the
 * line comes from the current phase's supplier (rates, counts, errors). Runs on its own daemon
 * thread; {@link #phase} may be called from any thread.
 */
public final class Progress implements AutoCloseable {
  private final PrintStream err;
  private final long startNanos = System.nanoTime();
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "bench-progress");
    t.setDaemon(true);
    return t;
  });
  private volatile String phase = "";
  private volatile Supplier<String> line = () -> "";

  public Progress(PrintStream err) {
    this.err = err;
    timer.scheduleAtFixedRate(this::tick, 1, 1, TimeUnit.SECONDS);
  }

  /** Switches to a new phase; its supplier is called once a second on the progress thread. */
  public void phase(String name, Supplier<String> line) {
    this.phase = name;
    this.line = line;
  }

  /** Prints a one-off message (a phase change, a warning). */
  public void say(String message) {
    synchronized (err) {
      err.printf("[%6.1fs] %s%n", elapsedSeconds(), message);
      err.flush();
    }
  }

  public double elapsedSeconds() {
    return (System.nanoTime() - startNanos) / 1e9;
  }

  private void tick() {
    try {
      String text = line.get();
      if (text != null && !text.isEmpty()) {
        say(phase + ": " + text);
      }
    } catch (RuntimeException e) {
      say(phase + ": (progress line failed: " + e.getMessage() + ")");
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
