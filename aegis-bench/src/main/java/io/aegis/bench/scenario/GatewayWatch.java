package io.aegis.bench.scenario;

import io.aegis.bench.gateway.GatewayProbe;
import java.time.Duration;

/**
 * Polls the gateway's {@code aegis_sessions_open} every 250 ms on a daemon thread and notes the
 * smallest value seen and when it first reached a target again (seconds after {@code t0}).
 */
final class GatewayWatch {
  private final GatewayProbe probe;
  private final int target;
  private final long t0;
  private volatile double min = Double.MAX_VALUE;
  private volatile double fullAfter = -1;
  private volatile boolean sawDrop;
  private volatile boolean running = true;
  private Thread thread;

  GatewayWatch(GatewayProbe probe, int target, long t0) {
    this.probe = probe;
    this.target = target;
    this.t0 = t0;
  }

  void start() {
    thread = new Thread(() -> {
      while (running) {
        try {
          double open = probe.read().sessionsOpen();
          min = Math.min(min, open);
          if (open < target) {
            sawDrop = true;
          } else if (sawDrop && fullAfter < 0) {
            fullAfter = (System.nanoTime() - t0) / 1e9;
          }
          Thread.sleep(250);
        } catch (InterruptedException e) {
          return;
        } catch (RuntimeException e) {
          // the gateway is busy; try again
        }
      }
    }, "gateway-watch");
    thread.setDaemon(true);
    thread.start();
  }

  /** Waits until the gateway reported the target again (or the timeout). */
  void awaitFull(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (fullAfter < 0 && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
  }

  void stop() throws InterruptedException {
    running = false;
    thread.interrupt();
    thread.join(2000);
  }

  double minSeen() {
    return min == Double.MAX_VALUE ? -1 : min;
  }

  double fullAfterSeconds() {
    return fullAfter;
  }
}
