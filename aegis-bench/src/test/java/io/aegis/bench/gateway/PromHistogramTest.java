package io.aegis.bench.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class PromHistogramTest {
  private static GatewayProbe.Reading reading(String text) {
    return new GatewayProbe.Reading(0, 0, 0, 0, GatewayProbe.parse(text));
  }

  @Test
  void quantilesOfTheDifferenceBetweenTwoScrapes() {
    GatewayProbe.Reading before = reading("""
        # HELP x
        lat_seconds_bucket{node="a",le="0.01"} 10.0
        lat_seconds_bucket{node="a",le="0.1"} 10.0
        lat_seconds_bucket{node="a",le="+Inf"} 10.0
        """);
    GatewayProbe.Reading after = reading("""
        lat_seconds_bucket{node="a",le="0.01"} 10.0
        lat_seconds_bucket{node="a",le="0.1"} 110.0
        lat_seconds_bucket{node="a",le="+Inf"} 110.0
        """);
    PromHistogram d = PromHistogram.of(after, "lat_seconds", "").minus(PromHistogram.of(before, "lat_seconds", ""));
    assertThat(d.count()).isEqualTo(100);
    assertThat(d.quantile(0.5)).isCloseTo(0.055, within(1e-9));
    assertThat(d.quantile(0.99)).isCloseTo(0.0991, within(1e-9));
  }

  @Test
  void sumsOverLabelsAndSkipsComments() {
    GatewayProbe.Reading r = reading("""
        # TYPE jvm_memory_used_bytes gauge
        jvm_memory_used_bytes{area="heap",id="eden"} 100.0
        jvm_memory_used_bytes{area="heap",id="old"} 50.0
        jvm_memory_used_bytes{area="nonheap",id="meta"} 7.0
        """);
    assertThat(r.sum("jvm_memory_used_bytes", "area=\"heap\"")).isEqualTo(150.0);
    assertThat(r.sum("jvm_memory_used_bytes", "")).isEqualTo(157.0);
    assertThat(r.sum("absent", "")).isNaN();
  }
}
