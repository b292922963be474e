package io.aegis.bench.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

class BackoffTest {
  private final Backoff sdk = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(60));

  @RepeatedTest(20)
  void delaysStayWithinTheDoublingBoundAndTheCap() {
    assertThat(sdk.delayMillis(0)).isBetween(0L, 999L);
    assertThat(sdk.delayMillis(3)).isBetween(0L, 7_999L);
    assertThat(sdk.delayMillis(30)).isBetween(0L, 59_999L);
  }

  @Test
  void noneNeverWaits() {
    assertThat(Backoff.NONE.delayMillis(0)).isZero();
    assertThat(Backoff.NONE.delayMillis(10)).isZero();
  }
}
