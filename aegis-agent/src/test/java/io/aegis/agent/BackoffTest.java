package io.aegis.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BackoffTest {

  @Test
  void ceilingDoublesFromTheBaseUntilTheCap() {
    assertThat(Backoff.ceilingMillis(1000, 60_000, 0)).isEqualTo(1000);
    assertThat(Backoff.ceilingMillis(1000, 60_000, 1)).isEqualTo(2000);
    assertThat(Backoff.ceilingMillis(1000, 60_000, 5)).isEqualTo(32_000);
    assertThat(Backoff.ceilingMillis(1000, 60_000, 6)).isEqualTo(60_000);
    assertThat(Backoff.ceilingMillis(1000, 60_000, 7)).isEqualTo(60_000);
  }

  @Test
  void ceilingNeverOverflowsHoweverManyAttempts() {
    for (int attempt : new int[] {30, 61, 62, 63, 64, 1000, Integer.MAX_VALUE}) {
      assertThat(Backoff.ceilingMillis(30_000, 900_000, attempt)).isEqualTo(900_000);
      assertThat(Backoff.ceilingMillis(1, Long.MAX_VALUE / 2, attempt)).isPositive();
    }
  }

  @Test
  void everyWaitIsFullJitterBelowItsCeiling() {
    Backoff b = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(60), new Random(42));
    for (int n = 0; n < 40; n++) {
      long ceiling = Backoff.ceilingMillis(1000, 60_000, n);
      assertThat(b.next().toMillis()).isBetween(0L, ceiling);
    }
  }

  @Test
  void aSeededRandomGivesAReproducibleSequence() {
    List<Duration> first = waits(new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(60), new Random(7)), 10);
    List<Duration> again = waits(new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(60), new Random(7)), 10);
    assertThat(again).isEqualTo(first);
    // The n-th wait is drawn from [0, ceiling(n)]: the same draws as a Random with the same seed.
    Random r = new Random(7);
    for (int n = 0; n < 10; n++) {
      assertThat(first.get(n).toMillis()).isEqualTo(r.nextLong(Backoff.ceilingMillis(1000, 60_000, n) + 1));
    }
  }

  @Test
  void jitterSpreadsAFleetOverTheWholeWindow() {
    // 1000 agents at their 6th attempt (ceiling 32 s): the waits cover the window, not its end.
    Random r = new Random(1);
    long min = Long.MAX_VALUE;
    long max = 0;
    for (int agent = 0; agent < 1000; agent++) {
      Backoff b = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(60), r);
      Duration d = Duration.ZERO;
      for (int n = 0; n <= 5; n++) {
        d = b.next();
      }
      min = Math.min(min, d.toMillis());
      max = Math.max(max, d.toMillis());
    }
    assertThat(min).isLessThan(1000);
    assertThat(max).isGreaterThan(31_000);
  }

  @Test
  void resetStartsOverFromTheBase() {
    Backoff b = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(10), new Random(3));
    for (int i = 0; i < 8; i++) {
      b.next();
    }
    assertThat(b.attempt()).isEqualTo(8);
    b.reset();
    assertThat(b.attempt()).isZero();
    assertThat(b.next().toMillis()).isBetween(0L, 100L);
  }

  @Test
  void refusesAZeroBaseOrACapBelowTheBase() {
    assertThatThrownBy(() -> new Backoff(Duration.ZERO, Duration.ofSeconds(1), new Random()))
        .hasMessageContaining("at least 1 ms");
    assertThatThrownBy(() -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1), new Random()))
        .hasMessageContaining("must not be below its base");
  }

  private static List<Duration> waits(Backoff b, int n) {
    List<Duration> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(b.next());
    }
    return out;
  }
}
