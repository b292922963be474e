package io.aegis.bench.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class BenchPayloadTest {
  @Test
  void payloadHasTheRequestedSizeAndItsTimestampReadsBack() {
    String body = BenchPayload.create(1024, 123_456_789L);
    assertThat(body).hasSize(1024).startsWith("{\"bench_t\":123456789,");
    assertThat(BenchPayload.timestamp(body.getBytes(StandardCharsets.UTF_8))).isEqualTo(123_456_789L);
  }

  @Test
  void timestampIsFoundInsideAnEnvelope() {
    byte[] pushed = "{\"id\":\"a\",\"metadata\":{\"bench_t\":42},\"size\":3}".getBytes(StandardCharsets.UTF_8);
    assertThat(BenchPayload.timestamp(pushed)).isEqualTo(42);
  }

  @Test
  void aBodyWithoutTimestampGivesMinusOne() {
    assertThat(BenchPayload.timestamp("{\"ids\":[\"x\"]}".getBytes(StandardCharsets.UTF_8))).isEqualTo(-1);
    assertThat(BenchPayload.timestamp("{\"bench_t\":}".getBytes(StandardCharsets.UTF_8))).isEqualTo(-1);
  }

  @Test
  void tinySizesStillCarryTheTimestamp() {
    assertThat(BenchPayload.timestamp(BenchPayload.create(1, 7).getBytes(StandardCharsets.UTF_8))).isEqualTo(7);
  }
}
