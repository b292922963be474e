package io.aegis.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConfigTest {
  static final String SECRET = "s3cr3t-passw0rd";

  @TempDir
  Path dir;

  /** A bad value for a setting, the setting the message must name, and a word it must contain. */
  record Bad(Setting setting, String value, String expect, Map<String, String> others) {
    Bad(Setting setting, String value, String expect) {
      this(setting, value, expect, Map.of());
    }
  }

  static final List<Bad> BAD = List.of(
      new Bad(Setting.WEBSOCKET_PORT, "http", "whole number"),
      new Bad(Setting.WEBSOCKET_PORT, "65536", "between 0 and 65535"),
      new Bad(Setting.WEBSOCKET_PORT, "-1", "between 0 and 65535"),
      new Bad(Setting.WEBSOCKET_PATH, "ws/agent", "absolute path"),
      new Bad(Setting.WEBSOCKET_PATH, "/api/v1/ws", "outside /api/"),
      new Bad(Setting.WEBSOCKET_READ_BUFFER_SIZE, "12", "1024"),
      new Bad(Setting.WEBSOCKET_READ_BUFFER_SIZE, "lots", "not a size"),
      new Bad(Setting.WEBSOCKET_WRITE_BUFFER_SIZE, "65MiB", "64MiB"),
      new Bad(Setting.AUTH_PRIVATE_KEY_PATH, "/etc/aegis/\0private.pem", "AUTH_PRIVATE_KEY_PATH"),
      new Bad(Setting.AUTH_PUBLIC_KEY_PATH, "/etc/aegis/\0public.pem", "AUTH_PUBLIC_KEY_PATH"),
      new Bad(Setting.SESSION_TIMEOUT, "forever", "not a duration"),
      new Bad(Setting.SESSION_TIMEOUT, "31d", "between 1s and 30d"),
      new Bad(Setting.SESSION_TIMEOUT, "24", "not a duration"),
      new Bad(Setting.ENCRYPTION_ALGORITHM, "aes-256-gcm", "only chacha20poly1305"),
      new Bad(Setting.KEY_ROTATION_INTERVAL, "0s", "between 1s and 30d"),
      new Bad(Setting.KEY_ROTATION_INTERVAL, "1h 30m", "not a duration"),
      new Bad(Setting.MESSAGE_QUEUE_SIZE, "0", "between 1 and"),
      new Bad(Setting.MESSAGE_QUEUE_SIZE, "10k", "whole number"),
      new Bad(Setting.MESSAGE_RETRY_ATTEMPTS, "1001", "between 1 and 1000"),
      new Bad(Setting.MESSAGE_TTL, "99999999999999999999d", "too long"),
      new Bad(Setting.MESSAGE_TTL, "999999999999999d", "too long"),
      new Bad(Setting.MESSAGE_TTL, "-1h", "not a duration"),
      new Bad(Setting.DATABASE_URL, "mysql://root:" + SECRET + "@db/aegis", "postgresql://"),
      new Bad(Setting.DATABASE_URL, "postgresql://aegis:" + SECRET + "@/aegis", "no host"),
      new Bad(Setting.DATABASE_URL, "postgresql://aegis:" + SECRET + "@db:5432", "no database name"),
      new Bad(Setting.DATABASE_URL, "postgresql://aegis:" + SECRET + "@db:5432/a b", "not a valid URL"),
      new Bad(Setting.MESSAGE_QUEUE_TABLE, "Message-Queue", "SQL identifier"),
      new Bad(Setting.CONNECTIONS_TABLE, "1connections", "SQL identifier"),
      new Bad(Setting.CONNECTIONS_TABLE, "queue", "must differ", Map.of("MESSAGE_QUEUE_TABLE", "queue")),
      new Bad(Setting.REDIS_URL, "http://127.0.0.1:6379", "redis://"),
      new Bad(Setting.AEGIS_DATA_DIR, "/var/lib/\0aegis", "AEGIS_DATA_DIR"),
      new Bad(Setting.AEGIS_ADMIN_TOKEN, "short-" + SECRET, "at least 32 characters"),
      new Bad(Setting.AEGIS_BIND_ADDRESS, "my host!", "IP address"),
      new Bad(Setting.AEGIS_BIND_ADDRESS, "0.0.0.0", "AEGIS_ALLOW_INSECURE"),
      new Bad(Setting.AEGIS_ALLOW_INSECURE, "maybe", "true or false"),
      new Bad(Setting.TLS_CERT_PATH, "/nonexistent/cert.pem", "readable file",
          Map.of("TLS_KEY_PATH", "/nonexistent/key.pem")),
      new Bad(Setting.TLS_KEY_PATH, "", "set together", Map.of("TLS_CERT_PATH", "/nonexistent/cert.pem")),
      new Bad(Setting.TLS_CERT_PATH, "", "set together", Map.of("TLS_KEY_PATH", "/nonexistent/key.pem")),
      new Bad(Setting.AEGIS_NODE_ID, "node one", "[A-Za-z0-9._:-]"),
      new Bad(Setting.AEGIS_NODE_ID, "n".repeat(65), "1-64"),
      new Bad(Setting.AEGIS_DRAIN_PERIOD, "2h", "between"),
      new Bad(Setting.AEGIS_QUEUE_PARTITIONS, "0", "between 1 and 1024"),
      new Bad(Setting.AEGIS_NODE_TTL, "500ms", "between 1s and"),
      new Bad(Setting.AEGIS_REDIS_TIMEOUT, "1ms", "between 10ms and"),
      new Bad(Setting.REDIS_URL, "redis://127.0.0.1:6379", "a cluster needs a store its nodes share"),
      new Bad(Setting.AEGIS_LOG_FORMAT, "logfmt", "text or json"),
      new Bad(Setting.AEGIS_LOG_FORMAT, "JSON", "lower case"),
      new Bad(Setting.AEGIS_LOG_LEVEL, "verbose", "TRACE, DEBUG, INFO, WARN, ERROR or OFF"),
      new Bad(Setting.AEGIS_METRICS_CHANNELS, "10001", "between 0 and 10000"),
      new Bad(Setting.AEGIS_MAX_BODY_SIZE, "100", "between 1KiB and"),
      new Bad(Setting.AEGIS_MAX_BODY_SIZE, "2TiB", "not a size"),
      new Bad(Setting.AEGIS_MAX_FRAME_SIZE, "99999999999999999999", "too large"),
      new Bad(Setting.AEGIS_ARTIFACT_MAX_CONTENT_SIZE, "2GiB", "between 0 and 1024MiB"),
      new Bad(Setting.AEGIS_AUTH_MAX_CLOCK_SKEW, "500ms", "between 1s and 1d"),
      new Bad(Setting.AEGIS_AUTH_RATE_LIMIT, "-1", "between 0 and"),
      new Bad(Setting.AUTH_NEXT_PRIVATE_KEY_PATH, "/etc/aegis/\0next.pem", "AUTH_NEXT_PRIVATE_KEY_PATH"),
      new Bad(Setting.AEGIS_HANDSHAKE_TIMEOUT, "10", "not a duration"),
      new Bad(Setting.AEGIS_HEARTBEAT_INTERVAL, "2h", "between"),
      new Bad(Setting.AEGIS_HEARTBEAT_TIMEOUT, "10s", "longer than AEGIS_HEARTBEAT_INTERVAL"),
      new Bad(Setting.AEGIS_KEY_ROTATION_RECORDS, "0", "between 1 and"),
      new Bad(Setting.AEGIS_HANDSHAKE_RATE_LIMIT, "-5", "between 0 and"),
      new Bad(Setting.AEGIS_MAX_PENDING_HANDSHAKES, "0", "between 1 and"),
      new Bad(Setting.AEGIS_MAX_SESSIONS, "lots", "whole number"),
      new Bad(Setting.AEGIS_SESSION_RATE_LIMIT, "1.5", "whole number"),
      new Bad(Setting.AEGIS_AGENT_SIGNATURES, "sometimes", "required, optional or off"),
      new Bad(Setting.AEGIS_LAST_SEEN_FLUSH_INTERVAL, "1ms", "between"),
      new Bad(Setting.AEGIS_ACK_TIMEOUT, "2h", "between"),
      new Bad(Setting.AEGIS_TLS_RELOAD_INTERVAL, "soon", "not a duration"),
      new Bad(Setting.AEGIS_DELIVERY_WINDOW, "0", "between 1 and"),
      new Bad(Setting.AEGIS_DELIVERY_SWEEP_INTERVAL, "soon", "not a duration"),
      new Bad(Setting.AEGIS_MAX_SEND_WAIT, "11m", "between"),
      new Bad(Setting.AEGIS_MAX_POLL_WAIT, "0s", "between"),
      new Bad(Setting.AEGIS_DB_POOL_SIZE, "0", "between 1 and 1000"),
      new Bad(Setting.AEGIS_DB_CONNECT_TIMEOUT, "500ms", "between 1s and"),
      new Bad(Setting.AEGIS_DB_SOCKET_TIMEOUT, "0s", "between 1s and"),
      new Bad(Setting.AEGIS_STATUS_BACKLOG, "0", "between 1 and"),
      new Bad(Setting.AEGIS_TRUSTED_PROXIES, "10.0.0.0/33", "invalid prefix length"),
      new Bad(Setting.AEGIS_HTTP_HEADER_TIMEOUT, "1ms", "between 100ms and"),
      new Bad(Setting.AEGIS_HTTP_BODY_TIMEOUT, "1ms", "between 100ms and"),
      new Bad(Setting.AEGIS_HTTP_IDLE_TIMEOUT, "30s", "5s longer than AEGIS_MAX_POLL_WAIT"),
      new Bad(Setting.AEGIS_MAX_CONNECTIONS_PER_ADDRESS, "0", "between 1 and"),
      new Bad(Setting.AEGIS_MAX_PENDING_HANDSHAKES_PER_ADDRESS, "0", "between 1 and"),
      new Bad(Setting.AEGIS_AUTH_FAILURE_RATE_LIMIT, "-1", "between 0 and"),
      new Bad(Setting.AEGIS_ENROLL_RATE_LIMIT, "-1", "between 0 and"),
      new Bad(Setting.AEGIS_OPERATOR_RATE_LIMIT, "-1", "between 0 and"),
      new Bad(Setting.AEGIS_AGENT_RATE_LIMIT, "-1", "between 0 and"),
      new Bad(Setting.AEGIS_IDEMPOTENCY_WINDOW, "0s", "between 1s and"),
      new Bad(Setting.AEGIS_AUDIT_SIGN_INTERVAL, "0s", "between 1s and"),
      new Bad(Setting.AEGIS_APPROVAL_THRESHOLD, "-1", "between 0 and"),
      new Bad(Setting.AEGIS_APPROVAL_CHANNELS, "ok,not a channel", "channel 'not a channel'"),
      new Bad(Setting.AEGIS_APPROVAL_TIMEOUT, "0s", "between 1s and"),
      new Bad(Setting.AEGIS_REQUEST_DEADLINE, "1ms", "between 100ms and"),
      new Bad(Setting.AEGIS_BLOCKING_POOL_SIZE, "many", "whole number"),
      new Bad(Setting.AEGIS_EVENT_LOOPS, "-1", "between 0 and 1024"),
      new Bad(Setting.AEGIS_CONSOLE, "maybe", "true or false"),
      new Bad(Setting.AEGIS_MESSAGE_RETENTION, "500ms", "between 1s and"));

  Map<String, String> env(Map<String, String> settings) {
    Map<String, String> env = new HashMap<>(settings);
    env.putIfAbsent("AEGIS_DATA_DIR", dir.toString());
    return env;
  }

  @Test
  void everySettingHasAValidationCase() {
    Set<Setting> covered = EnumSet.noneOf(Setting.class);
    BAD.forEach(b -> covered.add(b.setting()));
    assertThat(EnumSet.complementOf(EnumSet.copyOf(covered))).as("settings without a bad-value case").isEmpty();
  }

  @Test
  void aBadValueStopsTheStartNamingTheVariableAndTheProblem() {
    for (Bad bad : BAD) {
      Map<String, String> env = env(bad.others());
      env.put(bad.setting().name(), bad.value());
      assertThatThrownBy(() -> Config.fromEnvironment(env)).as(bad.toString())
          .isInstanceOfSatisfying(ConfigException.class, e -> {
            assertThat(e.problems()).as(bad.toString()).anySatisfy(p -> {
              assertThat(p).startsWith(bad.setting().name() + ": ");
              assertThat(p).contains(bad.expect());
            });
            assertThat(e.getMessage()).as("secrets are never echoed").doesNotContain(SECRET);
          });
    }
  }

  @Test
  void everyProblemIsReportedAtOnce() {
    assertThatThrownBy(() -> Config.fromEnvironment(env(Map.of(
        "WEBSOCKET_PORT", "eighty", "SESSION_TIMEOUT", "1y", "DATABASE_URL", "postgresql://u:" + SECRET + "@/db"))))
        .isInstanceOfSatisfying(ConfigException.class, e -> {
          assertThat(e.problems()).hasSize(3);
          assertThat(e.getMessage()).contains("WEBSOCKET_PORT: 'eighty' is not a whole number")
              .contains("SESSION_TIMEOUT: '1y' is not a duration")
              .contains("DATABASE_URL: has no host")
              .doesNotContain(SECRET);
        });
  }

  @Test
  void noConfigurationMeansTheDocumentedDefaults() {
    Config c = Config.fromEnvironment(Map.of());
    assertThat(c.port()).isEqualTo(8080);
    assertThat(c.websocketPath()).isEqualTo("/ws/agent");
    assertThat(c.dataDir()).isEqualTo(Path.of("data").toAbsolutePath());
    assertThat(c.database().kind()).isEqualTo(DatabaseUrl.Kind.SQLITE);
    assertThat(c.database().jdbcUrl()).isEqualTo("jdbc:sqlite:" + Path.of("data/aegis.db").toAbsolutePath());
    assertThat(c.privateKeyPath()).isEqualTo(Path.of("data/auth/private.pem").toAbsolutePath());
    assertThat(c.publicKeyPath()).isEqualTo(Path.of("data/auth/public.pem").toAbsolutePath());
    assertThat(c.sessionTimeout()).isEqualTo(Duration.ofHours(24));
    assertThat(c.keyRotationInterval()).isEqualTo(Duration.ofHours(1));
    assertThat(c.messageQueueSize()).isEqualTo(10_000);
    assertThat(c.messageRetryAttempts()).isEqualTo(3);
    assertThat(c.messageTtl()).isEqualTo(Duration.ofHours(1));
    assertThat(c.messageQueueTable()).isEqualTo("message_queue");
    assertThat(c.connectionsTable()).isEqualTo("agent_connections");
    assertThat(c.redisUrl()).isEmpty();
    assertThat(c.adminToken()).isEmpty();
    assertThat(c.bindAddress()).isEqualTo("127.0.0.1");
    assertThat(c.allowInsecure()).isFalse();
    assertThat(c.tls()).isEmpty();
    assertThat(c.maxBodySize()).isEqualTo(2L << 20);
    assertThat(c.maxFrameSize()).isEqualTo(1 << 20);
    assertThat(c.artifactMaxContentSize()).isEqualTo(1L << 20);
    assertThat(c.authMaxClockSkew()).isEqualTo(Duration.ofMinutes(5));
    assertThat(c.authRateLimit()).isEqualTo(20);
    assertThat(c.dbPoolSize()).isEqualTo(16);
    assertThat(c.blockingPoolSize()).isEqualTo(32);
    assertThat(c.nodeId()).matches("[A-Za-z0-9._:-]{1,64}");
    assertThat(c.logFormat()).isEqualTo(Config.LogFormat.TEXT);
    assertThat(c.logLevel()).isEqualTo("INFO");
  }

  @Test
  void blankValuesMeanTheDefault() {
    Config c = Config.fromEnvironment(env(Map.of("WEBSOCKET_PORT", "  ", "SESSION_TIMEOUT", "", "DATABASE_URL", " ")));
    assertThat(c.port()).isEqualTo(8080);
    assertThat(c.sessionTimeout()).isEqualTo(Duration.ofHours(24));
    assertThat(c.database().kind()).isEqualTo(DatabaseUrl.Kind.SQLITE);
  }

  @ParameterizedTest
  @CsvSource({"24h, PT24H", "1h, PT1H", "30s, PT30S", "500ms, PT0.5S", "1h30m, PT1H30M", "2d, PT48H",
      "1m30s250ms, PT1M30.25S"})
  void durationsUseTheSeedsUnits(String text, String iso) {
    assertThat(Durations.parse(text)).isEqualTo(Duration.parse(iso));
    assertThat(Durations.parse(Durations.format(Duration.parse(iso)))).isEqualTo(Duration.parse(iso));
  }

  @Test
  void durationSettingsAcceptTheSeedsForms() {
    Config c = Config.fromEnvironment(env(Map.of("SESSION_TIMEOUT", "1h30m", "KEY_ROTATION_INTERVAL", "30s",
        "MESSAGE_TTL", "24h", "AEGIS_AUTH_MAX_CLOCK_SKEW", "1500ms")));
    assertThat(c.sessionTimeout()).isEqualTo(Duration.ofMinutes(90));
    assertThat(c.keyRotationInterval()).isEqualTo(Duration.ofSeconds(30));
    assertThat(c.messageTtl()).isEqualTo(Duration.ofHours(24));
    assertThat(c.authMaxClockSkew()).isEqualTo(Duration.ofMillis(1500));
  }

  @Test
  void theSeedsDatabaseUrlBecomesJdbcWithCredentialsApart() {
    Config c = Config.fromEnvironment(env(Map.of(
        "DATABASE_URL", "postgresql://aegis:p%40ss%2Bword@db.internal:5433/aegis?sslmode=require")));
    DatabaseUrl db = c.database();
    assertThat(db.kind()).isEqualTo(DatabaseUrl.Kind.POSTGRESQL);
    assertThat(db.jdbcUrl()).isEqualTo("jdbc:postgresql://db.internal:5433/aegis?sslmode=require");
    assertThat(db.user()).contains("aegis");
    assertThat(db.password()).contains("p@ss+word");
    assertThat(db.redacted()).doesNotContain("p@ss").contains("db.internal").contains("aegis");
    assertThat(db.toString()).doesNotContain("p@ss");

    DatabaseUrl noPort = DatabaseUrl.parse("postgres://me@localhost/aegis");
    assertThat(noPort.jdbcUrl()).isEqualTo("jdbc:postgresql://localhost/aegis");
    assertThat(noPort.user()).contains("me");
    assertThat(noPort.password()).isEmpty();
    DatabaseUrl seedExample = DatabaseUrl.parse("postgresql://user:pass@localhost/aegis");
    assertThat(seedExample.jdbcUrl()).isEqualTo("jdbc:postgresql://localhost/aegis");
    assertThat(seedExample.password()).contains("pass");
  }

  @Test
  void jdbcUrlsAreTakenAsTheyAreWithThePasswordRedacted() {
    Config c = Config.fromEnvironment(env(Map.of(
        "DATABASE_URL", "jdbc:postgresql://db:5432/aegis?user=aegis&password=" + SECRET + "&ssl=true")));
    assertThat(c.database().kind()).isEqualTo(DatabaseUrl.Kind.POSTGRESQL);
    assertThat(c.database().jdbcUrl()).contains(SECRET);
    assertThat(c.database().redacted()).doesNotContain(SECRET).contains("password=***").contains("ssl=true");
    assertThat(c.database().user()).isEmpty();
  }

  @Test
  void keyPathsDefaultUnderTheDataDirectory() {
    Config c = Config.fromEnvironment(Map.of("AEGIS_DATA_DIR", dir.toString(),
        "AUTH_PUBLIC_KEY_PATH", "${AEGIS_DATA_DIR}/keys/pub.pem"));
    assertThat(c.privateKeyPath()).isEqualTo(dir.resolve("auth/private.pem"));
    assertThat(c.publicKeyPath()).isEqualTo(dir.resolve("keys/pub.pem"));
    assertThat(c.database().jdbcUrl()).isEqualTo("jdbc:sqlite:" + dir.resolve("aegis.db"));
  }

  @Test
  void nonLoopbackAddressesNeedTlsOrAnExplicitOptIn() throws Exception {
    assertThat(Config.fromEnvironment(env(Map.of("AEGIS_ALLOW_INSECURE", "true"))).bindAddress()).isEqualTo("0.0.0.0");
    assertThat(Config.fromEnvironment(env(Map.of("AEGIS_BIND_ADDRESS", "0.0.0.0", "AEGIS_ALLOW_INSECURE", "yes")))
        .bindAddress()).isEqualTo("0.0.0.0");
    for (String loopback : List.of("127.0.0.1", "::1", "localhost", "127.0.0.2")) {
      assertThat(Config.fromEnvironment(env(Map.of("AEGIS_BIND_ADDRESS", loopback))).bindAddress()).isEqualTo(loopback);
    }
    Path cert = Files.writeString(dir.resolve("cert.pem"), "cert");
    Path key = Files.writeString(dir.resolve("key.pem"), "key");
    Config tls = Config.fromEnvironment(env(Map.of("TLS_CERT_PATH", cert.toString(), "TLS_KEY_PATH", key.toString())));
    assertThat(tls.bindAddress()).isEqualTo("0.0.0.0");
    assertThat(tls.tls()).contains(new Config.TlsFiles(cert, key));
  }

  @Test
  void theNodeIdDefaultsToTheHostAndPort() {
    assertThat(Config.fromEnvironment(env(Map.of("WEBSOCKET_PORT", "8123"))).nodeId()).endsWith("-8123");
    assertThat(Config.fromEnvironment(env(Map.of("WEBSOCKET_PORT", "0"))).nodeId())
        .endsWith("-pid" + ProcessHandle.current().pid());
  }

  @Test
  void otherValuesAreParsed() {
    Map<String, String> settings = new HashMap<>(Map.of("WEBSOCKET_PORT", "0", "WEBSOCKET_READ_BUFFER_SIZE", "64KiB",
        "AEGIS_MAX_BODY_SIZE", "512KiB", "AEGIS_NODE_ID", "gw-1.eu:a", "REDIS_URL", "redis://127.0.0.1:6379",
        "DATABASE_URL", "postgresql://aegis@db.internal:5432/aegis", "AEGIS_ADMIN_TOKEN", "x".repeat(32),
        "AEGIS_AUTH_RATE_LIMIT", "0", "ENCRYPTION_ALGORITHM", "ChaCha20-Poly1305", "AEGIS_DRAIN_PERIOD", "0s"));
    settings.putAll(Map.of("AEGIS_LOG_FORMAT", "json", "AEGIS_LOG_LEVEL", "debug"));
    Config c = Config.fromEnvironment(env(settings));
    assertThat(c.port()).isZero();
    assertThat(c.readBufferSize()).isEqualTo(65536);
    assertThat(c.maxBodySize()).isEqualTo(512 * 1024);
    assertThat(c.nodeId()).isEqualTo("gw-1.eu:a");
    assertThat(c.redisUrl()).contains("redis://127.0.0.1:6379");
    assertThat(c.drainPeriod()).isZero();
    assertThat(c.nodeTtl()).hasSeconds(10);
    assertThat(c.adminToken()).isEqualTo(Optional.of("x".repeat(32)));
    assertThat(c.authRateLimit()).isZero();
    assertThat(c.logFormat()).isEqualTo(Config.LogFormat.JSON);
    assertThat(c.logLevel()).isEqualTo("DEBUG");
  }
}
