package io.aegis.bench.report;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Fires asynchronous operations (REST sends, publishes) at a fixed rate or flat out.
 *
 * <ul>
 * <li><b>Fixed rate</b> ({@code rate > 0}, open loop): operation {@code k} is due at
 *     {@code start + k / rate}. A 1 ms timer fires every due operation, at most
 *     {@code concurrency} in flight; when the cap holds operations back they go out later with
 *     their <em>scheduled</em> time, so latency measured from it includes the wait (no
 *     coordinated omission).</li>
 * <li><b>Flat out</b> ({@code rate == 0}, closed loop): {@code concurrency} chains, each firing the
 *     next operation when the previous one completes; the scheduled time is the actual start.</li>
 * </ul>
 *
 * Thread-safe; operations are fired from one Vert.x timer or from completion handlers.
 */
public final class LoadDriver {
  /** One operation; {@code scheduledNanos} is its due time on {@link System#nanoTime()}'s scale. */
  @FunctionalInterface
  public interface Action {
    Future<?> fire(long seq, long scheduledNanos);
  }

  private final Vertx vertx;
  private final double rate;
  private final int concurrency;
  private final Action action;
  private final AtomicLong started = new AtomicLong();
  private final AtomicLong completed = new AtomicLong();
  private final AtomicInteger inFlight = new AtomicInteger();
  private volatile boolean running;
  private long startNanos;
  private long timer = -1;

  public LoadDriver(Vertx vertx, double rate, int concurrency, Action action) {
    this.vertx = vertx;
    this.rate = rate;
    this.concurrency = Math.max(1, concurrency);
    this.action = action;
  }

  public void start() {
    running = true;
    startNanos = System.nanoTime();
    if (rate > 0) {
      timer = vertx.setPeriodic(1, id -> tick());
    } else {
      for (int i = 0; i < concurrency; i++) {
        vertx.runOnContext(v -> fireNext());
      }
    }
  }

  /** Stops firing; operations in flight complete on their own. */
  public void stop() {
    running = false;
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
  }

  public long started() {
    return started.get();
  }

  public long completed() {
    return completed.get();
  }

  public int inFlight() {
    return inFlight.get();
  }

  /** Operations due by now that have not been fired (held back by the concurrency cap); 0 when flat out. */
  public long behind() {
    if (rate <= 0 || !running) {
      return 0;
    }
    return Math.max(0, due() - started.get());
  }

  /** Operations due by now: operation k is due at start + k / rate, so operation 0 at once. */
  private long due() {
    return (long) (rate * (System.nanoTime() - startNanos) / 1e9) + 1;
  }

  private void tick() {
    long due = due();
    while (running && started.get() < due && inFlight.get() < concurrency) {
      fire();
    }
  }

  private void fireNext() {
    if (running) {
      fire();
    }
  }

  private void fire() {
    long seq = started.getAndIncrement();
    long scheduled = rate > 0 ? startNanos + (long) (seq * 1e9 / rate) : System.nanoTime();
    inFlight.incrementAndGet();
    Future<?> f;
    try {
      f = action.fire(seq, scheduled);
    } catch (RuntimeException e) {
      f = Future.failedFuture(e);
    }
    f.onComplete(ar -> {
      inFlight.decrementAndGet();
      completed.incrementAndGet();
      if (rate <= 0) {
        vertx.runOnContext(v -> fireNext()); // a fresh stack: some futures complete at once
      }
    });
  }
}
