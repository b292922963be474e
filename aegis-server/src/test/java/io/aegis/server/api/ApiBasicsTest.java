package io.aegis.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.server.testing.StoreKind;
import io.aegis.server.testing.TestGateway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ApiBasicsTest {
  static TestGateway gw;

  @BeforeAll
  static void start() {
    gw = TestGateway.start(StoreKind.SQLITE);
  }

  @AfterAll
  static void stop() {
    gw.close();
  }

  @Test
  void healthzAnswersWhileTheProcessLives() {
    var r = gw.anonymous().get("/healthz");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().path("status").asText()).isEqualTo("ok");
  }

  @Test
  void readyzReportsTheStore() {
    var r = gw.anonymous().get("/readyz");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().path("store").asText()).isEqualTo("ok");
    assertThat(r.json().path("node_id").asText()).isEqualTo("test-node");
    assertThat(r.json().path("cluster").asText()).isEqualTo("single");
  }

  @Test
  void metricsArePrometheusText() {
    var r = gw.anonymous().get("/metrics");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.header("Content-Type")).startsWith("text/plain");
    assertThat(r.body()).contains("jvm_memory_used_bytes").contains("process_memory_rss_bytes");
  }

  @Test
  void unknownRouteIsAJsonNotFound() {
    var r = gw.operator().get("/api/v1/nothing-here");
    assertThat(r.status()).isEqualTo(404);
    assertThat(r.errorCode()).isEqualTo("not_found");
    assertThat(r.json().path("error").path("message").asText()).contains("/api/v1/nothing-here");
  }
}
