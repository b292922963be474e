package io.aegis.bench.report;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.server.testing.Waits;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The driver's schedule. Each test waits for the operations it looks at, so a busy machine makes
 * it slower, never wrong: what is asserted holds however late the driver's timer fires.
 */
class LoadDriverTest {
  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() {
    vertx.close().await();
  }

  @Test
  void fixedRateFiresOnScheduleWithScheduledTimes() {
    ConcurrentLinkedQueue<Long> scheduled = new ConcurrentLinkedQueue<>();
    LoadDriver d = new LoadDriver(vertx, 200, 10, (seq, t) -> {
      scheduled.add(t);
      return Future.succeededFuture();
    });
    long before = System.nanoTime();
    d.start();
    Awaitility.await().atMost(Waits.EVENT).until(() -> d.started() >= 50);
    d.stop();
    double elapsedSeconds = (System.nanoTime() - before) / 1e9;
    // Never ahead of the schedule (flat out, it would be thousands by now).
    assertThat(d.started()).isLessThanOrEqualTo((long) (200 * elapsedSeconds) + 1);
    // Each operation carries its scheduled time, 1/200 s after the previous one's, whenever it was fired.
    List<Long> t = List.copyOf(scheduled);
    for (int i = 1; i < t.size(); i++) {
      assertThat(t.get(i) - t.get(i - 1)).as("operation %d", i).isEqualTo(5_000_000L);
    }
  }

  @Test
  void anOperationIsFiredAtItsScheduledTimeNotOneIntervalLater() {
    ConcurrentLinkedQueue<Long> lateness = new ConcurrentLinkedQueue<>();
    LoadDriver d = new LoadDriver(vertx, 1, 10, (seq, t) -> {
      lateness.add(System.nanoTime() - t);
      return Future.succeededFuture();
    });
    d.start();
    Awaitility.await().atMost(Waits.EVENT).until(() -> lateness.size() >= 2); // at once, and at 1 s
    d.stop();
    // The 1 ms timer fires each within a few ms of its time; a whole interval late would be 1 s.
    assertThat(List.copyOf(lateness).subList(0, 2)).allSatisfy(ns -> assertThat(ns).isLessThan(500_000_000L));
  }

  @Test
  void flatOutKeepsTheConcurrencyInFlight() {
    AtomicInteger max = new AtomicInteger();
    AtomicInteger now = new AtomicInteger();
    LoadDriver d = new LoadDriver(vertx, 0, 4, (seq, t) -> {
      max.accumulateAndGet(now.incrementAndGet(), Math::max);
      return vertx.timer(2).andThen(x -> now.decrementAndGet()).mapEmpty();
    });
    d.start();
    Awaitility.await().atMost(Waits.EVENT).until(() -> d.completed() > 20);
    d.stop();
    assertThat(max.get()).isEqualTo(4);
  }
}
