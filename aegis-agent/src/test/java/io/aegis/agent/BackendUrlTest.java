package io.aegis.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class BackendUrlTest {

  @Test
  void aBaseUrlGetsTheAgentSocketPath() {
    assertThat(BackendUrl.endpoint("https://gw.example.com")).hasToString("wss://gw.example.com/ws/agent");
    assertThat(BackendUrl.endpoint("https://gw.example.com:8443/")).hasToString("wss://gw.example.com:8443/ws/agent");
    assertThat(BackendUrl.endpoint("http://127.0.0.1:8080")).hasToString("ws://127.0.0.1:8080/ws/agent");
    assertThat(BackendUrl.endpoint("https://example.com/aegis/")).hasToString("wss://example.com/aegis/ws/agent");
  }

  @Test
  void aSocketUrlWithAPathIsUsedAsGiven() {
    assertThat(BackendUrl.endpoint("wss://gw.example.com/ws/agent")).hasToString("wss://gw.example.com/ws/agent");
    assertThat(BackendUrl.endpoint("wss://gw.example.com/custom")).hasToString("wss://gw.example.com/custom");
    assertThat(BackendUrl.endpoint("ws://localhost:9000")).hasToString("ws://localhost:9000/ws/agent");
    assertThat(BackendUrl.endpoint("WSS://gw.example.com/")).hasToString("wss://gw.example.com/ws/agent");
  }

  @Test
  void theRestApiBaseFollowsTheBackendUrl() {
    assertThat(BackendUrl.httpBase("https://gw.example.com")).hasToString("https://gw.example.com");
    assertThat(BackendUrl.httpBase("https://gw.example.com:8443/")).hasToString("https://gw.example.com:8443");
    assertThat(BackendUrl.httpBase("http://127.0.0.1:8080")).hasToString("http://127.0.0.1:8080");
    assertThat(BackendUrl.httpBase("https://example.com/aegis/")).hasToString("https://example.com/aegis");
    // A socket URL: the REST API is at the root of the same host and port.
    assertThat(BackendUrl.httpBase("wss://gw.example.com/custom")).hasToString("https://gw.example.com");
    assertThat(BackendUrl.httpBase("ws://localhost:9000/ws/agent")).hasToString("http://localhost:9000");
  }

  @Test
  void refusesOtherSchemesMissingHostsAndQueries() {
    assertThatThrownBy(() -> BackendUrl.endpoint("ftp://gw")).hasMessageContaining("must start with");
    assertThatThrownBy(() -> BackendUrl.endpoint("gw.example.com")).hasMessageContaining("needs a host");
    assertThatThrownBy(() -> BackendUrl.endpoint("https://gw/?x=1")).hasMessageContaining("query");
  }

  @Test
  void loopbackHostsAreRecognised() {
    assertThat(BackendUrl.isLoopback(BackendUrl.endpoint("ws://127.0.0.1:1"))).isTrue();
    assertThat(BackendUrl.isLoopback(BackendUrl.endpoint("ws://localhost"))).isTrue();
    assertThat(BackendUrl.isLoopback(BackendUrl.endpoint("ws://[::1]:80"))).isTrue();
    assertThat(BackendUrl.isLoopback(BackendUrl.endpoint("ws://10.0.0.1"))).isFalse();
  }
}
