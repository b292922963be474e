package io.aegis.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Validation of the settings the gateway's transport and sessions depend on. */
class ConfigTest {
  static Config config(Map<String, String> env) {
    Map<String, String> e = new HashMap<>(Map.of("AEGIS_DATA_DIR", "/tmp/aegis-config-test", "AEGIS_NODE_ID", "n1"));
    e.putAll(env);
    return Config.fromEnvironment(e);
  }

  @Test
  void sessionTimeoutDefaultsTo24hAndMayBeAsShortAsOneSecond() {
    assertThat(config(Map.of()).sessionTimeout()).isEqualTo(Duration.ofHours(24));
    assertThat(config(Map.of("SESSION_TIMEOUT", "1s")).sessionTimeout()).isEqualTo(Duration.ofSeconds(1));
    assertThatThrownBy(() -> config(Map.of("SESSION_TIMEOUT", "500ms")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("SESSION_TIMEOUT");
  }

  @Test
  void tlsReloadIntervalDefaultsTo10s() {
    assertThat(config(Map.of()).tlsReloadInterval()).isEqualTo(Duration.ofSeconds(10));
    assertThat(config(Map.of("AEGIS_TLS_RELOAD_INTERVAL", "2s")).tlsReloadInterval()).isEqualTo(Duration.ofSeconds(2));
    assertThatThrownBy(() -> config(Map.of("AEGIS_TLS_RELOAD_INTERVAL", "soon")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("AEGIS_TLS_RELOAD_INTERVAL");
  }

  @Test
  void withoutTlsPlainHttpListensOnLoopbackOnlyUnlessInsecureIsAllowed() {
    assertThat(config(Map.of()).bindAddress()).isEqualTo("127.0.0.1");
    assertThatThrownBy(() -> config(Map.of("AEGIS_BIND_ADDRESS", "0.0.0.0")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("AEGIS_ALLOW_INSECURE");
    assertThat(config(Map.of("AEGIS_BIND_ADDRESS", "::1")).bindAddress()).isEqualTo("::1");
    assertThat(config(Map.of("AEGIS_ALLOW_INSECURE", "true")).bindAddress()).isEqualTo("0.0.0.0");
    assertThat(config(Map.of("AEGIS_ALLOW_INSECURE", "true", "AEGIS_BIND_ADDRESS", "10.0.0.5")).bindAddress())
        .isEqualTo("10.0.0.5");
  }

  @Test
  void withTlsTheGatewayListensEverywhereByDefaultAndNeedsBothFiles() {
    Config c = config(Map.of("TLS_CERT_PATH", "/etc/aegis/tls.crt", "TLS_KEY_PATH", "/etc/aegis/tls.key"));
    assertThat(c.bindAddress()).isEqualTo("0.0.0.0");
    assertThat(c.tls()).isPresent();
    assertThatThrownBy(() -> config(Map.of("TLS_CERT_PATH", "/etc/aegis/tls.crt")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("TLS_KEY_PATH");
  }
}
