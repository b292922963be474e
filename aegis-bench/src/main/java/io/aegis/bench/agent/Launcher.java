package io.aegis.bench.agent;

import io.vertx.core.Vertx;
import java.util.Collection;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Starts agents' connection attempts from a queue, every 2 ms, at a target rate (attempts per
 * second, 0 = unlimited) and with at most {@code maxInFlight} attempts in progress (0 =
 * unlimited). Retries and reconnects enter the same queue after their backoff, so they count
 * against the same rate.
 *
 * <p>Thread-safe; the pacing itself runs on one Vert.x timer.
 */
public final class Launcher implements AutoCloseable {
  private final Vertx vertx;
  private final ConcurrentLinkedQueue<SimulatedAgent> queue = new ConcurrentLinkedQueue<>();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final long timer;
  private volatile double rate;
  private volatile int maxInFlight;
  private volatile long epochNanos = System.nanoTime();
  private long startedSinceEpoch;
  private volatile long epochVersion;
  private long seenVersion;

  Launcher(Vertx vertx) {
    this.vertx = vertx;
    this.timer = vertx.setPeriodic(2, id -> tick());
  }

  /** Sets the pace; the rate is measured from now. */
  public void configure(double ratePerSecond, int maxInFlight) {
    this.rate = ratePerSecond;
    this.maxInFlight = maxInFlight;
    this.epochNanos = System.nanoTime();
    this.epochVersion++;
  }

  public void submitAll(Collection<SimulatedAgent> agents) {
    queue.addAll(agents);
  }

  public void submit(SimulatedAgent agent) {
    queue.add(agent);
  }

  /** Queues {@code agent} after {@code delayMillis} (0 = now). */
  public void submitLater(SimulatedAgent agent, long delayMillis) {
    if (delayMillis <= 0) {
      queue.add(agent);
    } else {
      vertx.setTimer(delayMillis, id -> queue.add(agent));
    }
  }

  /** Attempts waiting to start. */
  public int queued() {
    return queue.size();
  }

  /** Drops every queued attempt. */
  public void clear() {
    queue.clear();
  }

  void attemptEnded() {
    inFlight.decrementAndGet();
  }

  private void tick() {
    if (seenVersion != epochVersion) {
      seenVersion = epochVersion;
      startedSinceEpoch = 0;
    }
    double r = rate;
    long budget = r > 0
        ? (long) (r * (System.nanoTime() - epochNanos) / 1e9) - startedSinceEpoch
        : Long.MAX_VALUE;
    int cap = maxInFlight;
    SimulatedAgent a;
    while (budget > 0 && (cap <= 0 || inFlight.get() < cap) && (a = queue.poll()) != null) {
      inFlight.incrementAndGet();
      a.connect();
      startedSinceEpoch++;
      budget--;
    }
  }

  @Override
  public void close() {
    vertx.cancelTimer(timer);
    queue.clear();
  }
}
