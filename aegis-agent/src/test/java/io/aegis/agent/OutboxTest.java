package io.aegis.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class OutboxTest {

  private static OutgoingMessage message(String id) {
    return new OutgoingMessage(id, "event", "events", Map.of(), new byte[0], null, null);
  }

  private static void add(Outbox o, String id) {
    assertThat(o.tryReserve()).isTrue();
    o.add(message(id));
  }

  @Test
  void refusesASlotBeyondItsCapacityUntilOneIsFreed() {
    Outbox o = new Outbox(2);
    add(o, "a");
    add(o, "b");
    assertThat(o.tryReserve()).isFalse();
    o.markInFlight(o.pollQueued());
    assertThat(o.tryReserve()).as("in flight still holds its slot").isFalse();
    assertThat(o.remove("a")).isNotNull();
    assertThat(o.tryReserve()).isTrue();
  }

  @Test
  void concurrentReservationsNeverExceedTheCapacity() throws Exception {
    Outbox o = new Outbox(100);
    AtomicInteger granted = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    CountDownLatch done = new CountDownLatch(4);
    for (int t = 0; t < 4; t++) {
      pool.execute(() -> {
        for (int i = 0; i < 1000; i++) {
          if (o.tryReserve()) {
            granted.incrementAndGet();
          }
        }
        done.countDown();
      });
    }
    done.await();
    pool.shutdown();
    assertThat(granted.get()).isEqualTo(100);
    assertThat(o.size()).isEqualTo(100);
  }

  @Test
  void afterADisconnectMessagesInFlightGoFirstInTheOrderTheyWereWritten() {
    Outbox o = new Outbox(10);
    for (String id : List.of("a", "b", "c", "d")) {
      add(o, id);
    }
    o.markInFlight(o.pollQueued()); // a
    o.markInFlight(o.pollQueued()); // b
    o.remove("a"); // acked
    o.markInFlight(o.pollQueued()); // c
    o.requeueInFlight();
    List<String> order = new ArrayList<>();
    OutgoingMessage m;
    while ((m = o.pollQueued()) != null) {
      order.add(m.id);
    }
    assertThat(order).containsExactly("b", "c", "d");
  }

  @Test
  void removeFindsQueuedMessagesTooAndUnknownIdsAreIgnored() {
    Outbox o = new Outbox(10);
    add(o, "a");
    assertThat(o.remove("zzz")).isNull();
    assertThat(o.remove("a")).isNotNull();
    assertThat(o.size()).isZero();
    assertThat(o.hasQueued()).isFalse();
  }

  @Test
  void drainEmptiesEverythingAndFreesEverySlot() {
    Outbox o = new Outbox(3);
    add(o, "a");
    add(o, "b");
    o.markInFlight(o.pollQueued());
    assertThat(o.drain()).extracting(m -> m.id).containsExactly("a", "b");
    assertThat(o.size()).isZero();
  }
}
