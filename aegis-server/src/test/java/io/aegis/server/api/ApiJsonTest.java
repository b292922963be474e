package io.aegis.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How answers write what every endpoint shares. */
class ApiJsonTest {

  @Test
  void timesAreWrittenToTheMillisecondEvenOnAWholeSecond() {
    assertThat(new String(ApiJson.write(Map.of("at", Instant.ofEpochSecond(1_800_000_000))), StandardCharsets.UTF_8))
        .isEqualTo("{\"at\":\"2027-01-15T08:00:00.000Z\"}");
    assertThat(new String(ApiJson.write(Map.of("at", Instant.ofEpochSecond(1_800_000_000, 120_456_789))),
        StandardCharsets.UTF_8)).isEqualTo("{\"at\":\"2027-01-15T08:00:00.120Z\"}");
  }
}
