package io.aegis.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class HandlerLanesTest {

  @Test
  void perChannelLanesNeverRunTwoTasksOfAChannelAtOnceAndKeepTheirOrder() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    HandlerLanes lanes = new HandlerLanes(pool, true);
    Map<String, AtomicInteger> running = new ConcurrentHashMap<>();
    Map<String, List<Integer>> seen = new ConcurrentHashMap<>();
    AtomicInteger overlaps = new AtomicInteger();
    int perChannel = 200;
    CountDownLatch done = new CountDownLatch(3 * perChannel);
    for (int i = 0; i < perChannel; i++) {
      for (String ch : List.of("a", "b", "c")) {
        int n = i;
        lanes.submit(ch, () -> {
          if (running.computeIfAbsent(ch, k -> new AtomicInteger()).incrementAndGet() > 1) {
            overlaps.incrementAndGet();
          }
          seen.computeIfAbsent(ch, k -> Collections.synchronizedList(new ArrayList<>())).add(n);
          Thread.onSpinWait();
          running.get(ch).decrementAndGet();
          done.countDown();
        });
      }
    }
    assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
    pool.shutdown();
    assertThat(overlaps.get()).isZero();
    for (String ch : List.of("a", "b", "c")) {
      List<Integer> expected = new ArrayList<>();
      for (int i = 0; i < perChannel; i++) {
        expected.add(i);
      }
      assertThat(seen.get(ch)).containsExactlyElementsOf(expected);
    }
  }

  @Test
  void oneLaneKeepsTheOrderAcrossChannels() throws Exception {
    ExecutorService single = Executors.newSingleThreadExecutor();
    HandlerLanes lanes = new HandlerLanes(single, false);
    List<String> order = Collections.synchronizedList(new ArrayList<>());
    CountDownLatch done = new CountDownLatch(6);
    for (String task : List.of("a1", "b1", "a2", "c1", "b2", "a3")) {
      lanes.submit(task.substring(0, 1), () -> {
        order.add(task);
        done.countDown();
      });
    }
    assertThat(done.await(5, TimeUnit.SECONDS)).isTrue();
    single.shutdown();
    assertThat(order).containsExactly("a1", "b1", "a2", "c1", "b2", "a3");
  }

  @Test
  void aTaskThatThrowsDoesNotStopItsLane() throws Exception {
    ExecutorService single = Executors.newSingleThreadExecutor();
    HandlerLanes lanes = new HandlerLanes(single, true);
    CountDownLatch done = new CountDownLatch(1);
    lanes.submit("a", () -> {
      throw new IllegalStateException("boom");
    });
    lanes.submit("a", done::countDown);
    assertThat(done.await(5, TimeUnit.SECONDS)).isTrue();
    single.shutdown();
  }
}
