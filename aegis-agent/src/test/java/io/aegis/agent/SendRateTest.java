package io.aegis.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class SendRateTest {

  private final AtomicLong now = new AtomicLong();

  @Test
  void allowsABurstOfTwiceTheRateThenPacesToTheRate() {
    SendRate rate = new SendRate(10, now::get);
    for (int i = 0; i < 20; i++) {
      assertThat(rate.tryTake()).as("burst token %d", i).isTrue();
    }
    assertThat(rate.tryTake()).isFalse();
    assertThat(rate.millisUntilNext()).isEqualTo(100);
    now.addAndGet(100_000_000L);
    assertThat(rate.tryTake()).isTrue();
    assertThat(rate.tryTake()).isFalse();
    now.addAndGet(1_000_000_000L);
    int taken = 0;
    while (rate.tryTake()) {
      taken++;
    }
    assertThat(taken).isEqualTo(10);
  }

  @Test
  void theBucketNeverHoldsMoreThanTheBurst() {
    SendRate rate = new SendRate(5, now::get);
    now.addAndGet(3_600_000_000_000L);
    int taken = 0;
    while (rate.tryTake()) {
      taken++;
    }
    assertThat(taken).isEqualTo(10);
  }

  @Test
  void zeroDisablesPacing() {
    SendRate rate = new SendRate(0, now::get);
    for (int i = 0; i < 100_000; i++) {
      assertThat(rate.tryTake()).isTrue();
    }
  }
}
