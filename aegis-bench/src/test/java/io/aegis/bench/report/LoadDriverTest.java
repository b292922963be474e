package io.aegis.bench.report;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class LoadDriverTest {
  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() {
    vertx.close().await();
  }

  @Test
  void fixedRateFiresOnScheduleWithScheduledTimes() throws Exception {
    ConcurrentLinkedQueue<Long> scheduled = new ConcurrentLinkedQueue<>();
    LoadDriver d = new LoadDriver(vertx, 200, 10, (seq, t) -> {
      scheduled.add(t);
      return Future.succeededFuture();
    });
    d.start();
    Thread.sleep(500);
    d.stop();
    assertThat(d.started()).isBetween(70L, 110L);
    Long[] t = scheduled.toArray(new Long[0]);
    assertThat(t[1] - t[0]).isEqualTo(5_000_000L); // 1/200 s apart, whenever they were fired
  }

  @Test
  void anOperationIsFiredAtItsScheduledTimeNotOneIntervalLater() throws Exception {
    ConcurrentLinkedQueue<Long> lateness = new ConcurrentLinkedQueue<>();
    LoadDriver d = new LoadDriver(vertx, 2, 10, (seq, t) -> {
      lateness.add(System.nanoTime() - t);
      return Future.succeededFuture();
    });
    d.start();
    Thread.sleep(800); // operations 0 (at once) and 1 (at 500 ms)
    d.stop();
    assertThat(lateness).hasSize(2);
    // The 1 ms timer fires them within a few ms of their time; a whole interval late would be 500 ms.
    assertThat(lateness).allSatisfy(ns -> assertThat(ns).isLessThan(200_000_000L));
  }

  @Test
  void flatOutKeepsTheConcurrencyInFlight() throws Exception {
    AtomicInteger max = new AtomicInteger();
    AtomicInteger now = new AtomicInteger();
    LoadDriver d = new LoadDriver(vertx, 0, 4, (seq, t) -> {
      max.accumulateAndGet(now.incrementAndGet(), Math::max);
      return vertx.timer(2).andThen(x -> now.decrementAndGet()).mapEmpty();
    });
    d.start();
    Thread.sleep(200);
    d.stop();
    assertThat(max.get()).isEqualTo(4);
    assertThat(d.completed()).isGreaterThan(20);
  }
}
