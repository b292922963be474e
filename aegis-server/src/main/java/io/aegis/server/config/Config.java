package io.aegis.server.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The gateway's configuration: read once from the environment (see {@link Setting}), validated
 * as a whole, then immutable. Any invalid value stops the start with a {@link ConfigException}
 * that names every offending variable.
 */
public final class Config {
  private static final Pattern TABLE_NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
  private static final Pattern NODE_ID = io.aegis.server.api.PathParameters.NODE_ID;
  private static final Pattern BIND_ADDRESS = Pattern.compile(
      "(\\d{1,3}(\\.\\d{1,3}){3})|(\\[?[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*\\]?)|([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*)");

  private final int port;
  private final String websocketPath;
  private final int readBufferSize;
  private final int writeBufferSize;
  private final Path privateKeyPath;
  private final Path publicKeyPath;
  private final Duration sessionTimeout;
  private final Duration keyRotationInterval;
  private final int messageQueueSize;
  private final int messageRetryAttempts;
  private final Duration messageTtl;
  private final DatabaseUrl database;
  private final String messageQueueTable;
  private final String connectionsTable;
  private final Optional<String> redisUrl;
  private final Duration nodeTtl;
  private final Duration drainPeriod;
  private final int queuePartitions;
  private final Duration redisTimeout;
  private final Path dataDir;
  private final Optional<String> adminToken;
  private final String bindAddress;
  private final boolean allowInsecure;
  private final Optional<TlsFiles> tls;
  private final Duration tlsReloadInterval;
  private final String nodeId;
  private final LogFormat logFormat;
  private final String logLevel;
  private final int metricsChannels;
  private final long maxBodySize;
  private final int maxFrameSize;
  private final long artifactMaxContentSize;
  private final Duration authMaxClockSkew;
  private final int authRateLimit;
  private final Optional<Path> nextPrivateKeyPath;
  private final Duration handshakeTimeout;
  private final Duration heartbeatInterval;
  private final Duration heartbeatTimeout;
  private final long keyRotationRecords;
  private final int handshakeRateLimit;
  private final int maxPendingHandshakes;
  private final int maxSessions;
  private final int sessionRateLimit;
  private final AgentSignatures agentSignatures;
  private final Duration lastSeenFlushInterval;
  private final Duration ackTimeout;
  private final int deliveryWindow;
  private final Duration deliverySweepInterval;
  private final Duration maxSendWait;
  private final Duration messageRetention;
  private final Duration maxPollWait;
  private final int dbPoolSize;
  private final Duration dbConnectTimeout;
  private final int statusBacklog;
  private final String trustedProxies;
  private final Duration httpHeaderTimeout;
  private final Duration httpBodyTimeout;
  private final Duration httpIdleTimeout;
  private final int maxConnectionsPerAddress;
  private final int maxPendingHandshakesPerAddress;
  private final double authFailureRateLimit;
  private final double enrollRateLimit;
  private final double operatorRateLimit;
  private final double agentRateLimit;
  private final Duration idempotencyWindow;
  private final Duration auditSignInterval;
  private final OptionalInt approvalThreshold;
  private final java.util.Set<String> approvalChannels;
  private final Duration approvalTimeout;
  private final Duration requestDeadline;
  private final Duration dbSocketTimeout;
  private final int blockingPoolSize;
  private final int eventLoops;
  private final boolean console;

  /** Which agent→backend records must carry a valid signature; see {@link Setting#AEGIS_AGENT_SIGNATURES}. */
  public enum AgentSignatures { REQUIRED, OPTIONAL, OFF }

  /** The log line format; see {@link Setting#AEGIS_LOG_FORMAT}. */
  public enum LogFormat { TEXT, JSON }

  /** TLS certificate chain and private key files, both PEM. */
  public record TlsFiles(Path certificate, Path privateKey) {}

  private Config(Reader r) {
    Path dir = r.parse(Setting.AEGIS_DATA_DIR, v -> Path.of(v).toAbsolutePath().normalize());
    dataDir = dir == null ? Path.of(".").toAbsolutePath() : dir;
    port = r.integer(Setting.WEBSOCKET_PORT, 0, 65535);
    websocketPath = r.parse(Setting.WEBSOCKET_PATH, v -> {
      if (!v.startsWith("/") || v.contains(" ") || v.startsWith("/api/")) {
        throw new IllegalArgumentException("must be an absolute path such as /ws/agent, outside /api/");
      }
      return v;
    });
    readBufferSize = r.bufferSize(Setting.WEBSOCKET_READ_BUFFER_SIZE);
    writeBufferSize = r.bufferSize(Setting.WEBSOCKET_WRITE_BUFFER_SIZE);
    privateKeyPath = r.path(Setting.AUTH_PRIVATE_KEY_PATH, dataDir);
    publicKeyPath = r.path(Setting.AUTH_PUBLIC_KEY_PATH, dataDir);
    sessionTimeout = r.duration(Setting.SESSION_TIMEOUT, Duration.ofSeconds(1), Duration.ofDays(30));
    r.parse(Setting.ENCRYPTION_ALGORITHM, v -> {
      if (!v.equalsIgnoreCase("chacha20poly1305") && !v.equalsIgnoreCase("chacha20-poly1305")) {
        throw new IllegalArgumentException("only chacha20poly1305 is supported");
      }
      return v;
    });
    keyRotationInterval = r.duration(Setting.KEY_ROTATION_INTERVAL, Duration.ofSeconds(1), Duration.ofDays(30));
    messageQueueSize = r.integer(Setting.MESSAGE_QUEUE_SIZE, 1, 10_000_000);
    messageRetryAttempts = r.integer(Setting.MESSAGE_RETRY_ATTEMPTS, 1, 1000);
    messageTtl = r.duration(Setting.MESSAGE_TTL, Duration.ofSeconds(1), Duration.ofDays(365));
    String dbUrl = r.raw(Setting.DATABASE_URL);
    database = dbUrl.isBlank()
        ? DatabaseUrl.sqlite(dataDir.resolve("aegis.db"))
        : r.parse(Setting.DATABASE_URL, DatabaseUrl::parse);
    messageQueueTable = r.tableName(Setting.MESSAGE_QUEUE_TABLE);
    connectionsTable = r.tableName(Setting.CONNECTIONS_TABLE);
    if (messageQueueTable != null && messageQueueTable.equals(connectionsTable)) {
      r.problem(Setting.CONNECTIONS_TABLE, "must differ from MESSAGE_QUEUE_TABLE");
    }
    redisUrl = r.optional(Setting.REDIS_URL).map(v -> r.parse(Setting.REDIS_URL, x -> {
      if (!x.startsWith("redis://") && !x.startsWith("rediss://")) {
        throw new IllegalArgumentException("must be redis://host:port or rediss://host:port");
      }
      return x;
    }));
    adminToken = r.optional(Setting.AEGIS_ADMIN_TOKEN).map(v -> r.parse(Setting.AEGIS_ADMIN_TOKEN, x -> {
      if (x.length() < 32) {
        throw new IllegalArgumentException("must be at least 32 characters (use a random token)");
      }
      return x;
    }));
    allowInsecure = r.bool(Setting.AEGIS_ALLOW_INSECURE);
    Optional<String> cert = r.optional(Setting.TLS_CERT_PATH);
    Optional<String> key = r.optional(Setting.TLS_KEY_PATH);
    if (cert.isPresent() != key.isPresent()) {
      r.problem(cert.isPresent() ? Setting.TLS_KEY_PATH : Setting.TLS_CERT_PATH,
          "TLS_CERT_PATH and TLS_KEY_PATH must be set together");
      tls = Optional.empty();
    } else if (cert.isPresent()) {
      Path certFile = r.readableFile(Setting.TLS_CERT_PATH);
      Path keyFile = r.readableFile(Setting.TLS_KEY_PATH);
      tls = certFile == null || keyFile == null ? Optional.empty() : Optional.of(new TlsFiles(certFile, keyFile));
    } else {
      tls = Optional.empty();
    }
    tlsReloadInterval = r.duration(Setting.AEGIS_TLS_RELOAD_INTERVAL, Duration.ofMillis(100), Duration.ofDays(1));
    bindAddress = r.optional(Setting.AEGIS_BIND_ADDRESS)
        .map(v -> r.parse(Setting.AEGIS_BIND_ADDRESS, Config::bindAddress))
        .orElse(tls.isPresent() || allowInsecure ? "0.0.0.0" : "127.0.0.1");
    if (bindAddress != null && !isLoopback(bindAddress) && tls.isEmpty() && !allowInsecure
        && !r.hasProblem(Setting.TLS_CERT_PATH) && !r.hasProblem(Setting.TLS_KEY_PATH)) {
      r.problem(Setting.AEGIS_BIND_ADDRESS, "'" + bindAddress + "' is not a loopback address: serving plain HTTP "
          + "there needs TLS_CERT_PATH and TLS_KEY_PATH, or AEGIS_ALLOW_INSECURE=true (development only)");
    }
    nodeId = r.optional(Setting.AEGIS_NODE_ID).map(v -> r.parse(Setting.AEGIS_NODE_ID, x -> {
      if (!NODE_ID.matcher(x).matches()) {
        throw new IllegalArgumentException("must be 1-64 characters of [A-Za-z0-9._:-]");
      }
      return x;
    })).orElseGet(() -> hostName() + "-" + (port > 0 ? String.valueOf(port) : "pid" + ProcessHandle.current().pid()));
    nodeTtl = r.duration(Setting.AEGIS_NODE_TTL, Duration.ofSeconds(1), Duration.ofMinutes(10));
    drainPeriod = r.duration(Setting.AEGIS_DRAIN_PERIOD, Duration.ZERO, Duration.ofHours(1));
    queuePartitions = r.integer(Setting.AEGIS_QUEUE_PARTITIONS, 1, 1024);
    redisTimeout = r.duration(Setting.AEGIS_REDIS_TIMEOUT, Duration.ofMillis(10), Duration.ofMinutes(1));
    if (redisUrl.isPresent() && database != null && database.kind() == DatabaseUrl.Kind.SQLITE) {
      r.problem(Setting.REDIS_URL, "a cluster needs a store its nodes share: set DATABASE_URL to PostgreSQL, or unset "
          + "REDIS_URL to run a single node on the embedded SQLite store");
    }
    // logback.xml reads both variables itself (it is configured before this class runs): the
    // values are checked here so that a typo stops the start instead of being logged as DEBUG
    // (what logback makes of an unknown level) or with no appender at all.
    logFormat = r.parse(Setting.AEGIS_LOG_FORMAT, v -> switch (v) {
      case "text" -> LogFormat.TEXT;
      case "json" -> LogFormat.JSON;
      default -> throw new IllegalArgumentException("must be text or json (lower case)");
    });
    logLevel = r.parse(Setting.AEGIS_LOG_LEVEL, v -> switch (v.toUpperCase(Locale.ROOT)) {
      case "TRACE", "DEBUG", "INFO", "WARN", "ERROR", "OFF" -> v.toUpperCase(Locale.ROOT);
      default -> throw new IllegalArgumentException("must be TRACE, DEBUG, INFO, WARN, ERROR or OFF");
    });
    metricsChannels = r.integer(Setting.AEGIS_METRICS_CHANNELS, 0, 10_000);
    maxBodySize = r.size(Setting.AEGIS_MAX_BODY_SIZE, 1024, 1L << 30);
    maxFrameSize = (int) r.size(Setting.AEGIS_MAX_FRAME_SIZE, 1024, 64L << 20);
    artifactMaxContentSize = r.size(Setting.AEGIS_ARTIFACT_MAX_CONTENT_SIZE, 0, 1L << 30);
    authMaxClockSkew = r.duration(Setting.AEGIS_AUTH_MAX_CLOCK_SKEW, Duration.ofSeconds(1), Duration.ofDays(1));
    authRateLimit = r.integer(Setting.AEGIS_AUTH_RATE_LIMIT, 0, 1_000_000);
    nextPrivateKeyPath = r.optional(Setting.AUTH_NEXT_PRIVATE_KEY_PATH).map(v -> r.path(Setting.AUTH_NEXT_PRIVATE_KEY_PATH, dataDir));
    handshakeTimeout = r.duration(Setting.AEGIS_HANDSHAKE_TIMEOUT, Duration.ofMillis(100), Duration.ofMinutes(5));
    heartbeatInterval = r.duration(Setting.AEGIS_HEARTBEAT_INTERVAL, Duration.ofMillis(100), Duration.ofHours(1));
    heartbeatTimeout = r.duration(Setting.AEGIS_HEARTBEAT_TIMEOUT, Duration.ofMillis(200), Duration.ofHours(3));
    if (heartbeatInterval != null && heartbeatTimeout != null && heartbeatTimeout.compareTo(heartbeatInterval) <= 0) {
      r.problem(Setting.AEGIS_HEARTBEAT_TIMEOUT, "must be longer than AEGIS_HEARTBEAT_INTERVAL");
    }
    keyRotationRecords = r.integer(Setting.AEGIS_KEY_ROTATION_RECORDS, 1, Integer.MAX_VALUE);
    handshakeRateLimit = r.integer(Setting.AEGIS_HANDSHAKE_RATE_LIMIT, 0, 10_000_000);
    maxPendingHandshakes = r.integer(Setting.AEGIS_MAX_PENDING_HANDSHAKES, 1, 10_000_000);
    maxSessions = r.integer(Setting.AEGIS_MAX_SESSIONS, 1, 100_000_000);
    sessionRateLimit = r.integer(Setting.AEGIS_SESSION_RATE_LIMIT, 0, 10_000_000);
    agentSignatures = r.parse(Setting.AEGIS_AGENT_SIGNATURES, v -> switch (v.toLowerCase(Locale.ROOT)) {
      case "required" -> AgentSignatures.REQUIRED;
      case "optional" -> AgentSignatures.OPTIONAL;
      case "off" -> AgentSignatures.OFF;
      default -> throw new IllegalArgumentException("must be required, optional or off");
    });
    lastSeenFlushInterval = r.duration(Setting.AEGIS_LAST_SEEN_FLUSH_INTERVAL, Duration.ofMillis(100), Duration.ofHours(1));
    ackTimeout = r.duration(Setting.AEGIS_ACK_TIMEOUT, Duration.ofMillis(50), Duration.ofHours(1));
    deliveryWindow = r.integer(Setting.AEGIS_DELIVERY_WINDOW, 1, 100_000);
    deliverySweepInterval = r.duration(Setting.AEGIS_DELIVERY_SWEEP_INTERVAL, Duration.ofMillis(50), Duration.ofHours(1));
    maxSendWait = r.duration(Setting.AEGIS_MAX_SEND_WAIT, Duration.ofMillis(1), Duration.ofMinutes(10));
    messageRetention = r.duration(Setting.AEGIS_MESSAGE_RETENTION, Duration.ofSeconds(1), Duration.ofDays(3650));
    maxPollWait = r.duration(Setting.AEGIS_MAX_POLL_WAIT, Duration.ofMillis(1), Duration.ofMinutes(10));
    dbPoolSize = r.integer(Setting.AEGIS_DB_POOL_SIZE, 1, 1000);
    idempotencyWindow = r.duration(Setting.AEGIS_IDEMPOTENCY_WINDOW, Duration.ofSeconds(1), Duration.ofDays(30));
    auditSignInterval = r.duration(Setting.AEGIS_AUDIT_SIGN_INTERVAL, Duration.ofSeconds(1), Duration.ofDays(1));
    approvalThreshold = r.optional(Setting.AEGIS_APPROVAL_THRESHOLD).isEmpty() ? OptionalInt.empty()
        : OptionalInt.of(r.integer(Setting.AEGIS_APPROVAL_THRESHOLD, 0, 100_000_000));
    approvalChannels = r.parse(Setting.AEGIS_APPROVAL_CHANNELS, v -> {
      java.util.Set<String> channels = new java.util.TreeSet<>();
      for (String c : v.split(",")) {
        String name = c.strip();
        if (!name.isEmpty()) {
          String error = io.aegis.protocol.Identifiers.channelError(name);
          if (error != null) {
            throw new IllegalArgumentException("channel '" + name + "': " + error);
          }
          channels.add(name);
        }
      }
      return java.util.Set.copyOf(channels);
    });
    approvalTimeout = r.duration(Setting.AEGIS_APPROVAL_TIMEOUT, Duration.ofSeconds(1), Duration.ofDays(30));
    requestDeadline = r.duration(Setting.AEGIS_REQUEST_DEADLINE, Duration.ofMillis(100), Duration.ofMinutes(10));
    trustedProxies = r.raw(Setting.AEGIS_TRUSTED_PROXIES);
    try {
      io.aegis.server.edge.ClientAddresses.trusting(trustedProxies);
    } catch (IllegalArgumentException e) {
      r.problem(Setting.AEGIS_TRUSTED_PROXIES, e.getMessage());
    }
    httpHeaderTimeout = r.duration(Setting.AEGIS_HTTP_HEADER_TIMEOUT, Duration.ofMillis(100), Duration.ofMinutes(10));
    httpBodyTimeout = r.duration(Setting.AEGIS_HTTP_BODY_TIMEOUT, Duration.ofMillis(100), Duration.ofHours(1));
    httpIdleTimeout = r.duration(Setting.AEGIS_HTTP_IDLE_TIMEOUT, Duration.ofSeconds(1), Duration.ofHours(1));
    // A long poll or a waiting send is silent until it answers: the idle timeout must outlast both.
    if (httpIdleTimeout != null && maxPollWait != null && maxSendWait != null && httpIdleTimeout.compareTo(
        (maxPollWait.compareTo(maxSendWait) > 0 ? maxPollWait : maxSendWait).plusSeconds(5)) < 0) {
      r.problem(Setting.AEGIS_HTTP_IDLE_TIMEOUT, "must be at least 5s longer than AEGIS_MAX_POLL_WAIT and AEGIS_MAX_SEND_WAIT");
    }
    maxConnectionsPerAddress = r.integer(Setting.AEGIS_MAX_CONNECTIONS_PER_ADDRESS, 1, 10_000_000);
    maxPendingHandshakesPerAddress = r.integer(Setting.AEGIS_MAX_PENDING_HANDSHAKES_PER_ADDRESS, 1, 1_000_000);
    authFailureRateLimit = r.integer(Setting.AEGIS_AUTH_FAILURE_RATE_LIMIT, 0, 1_000_000);
    enrollRateLimit = r.integer(Setting.AEGIS_ENROLL_RATE_LIMIT, 0, 1_000_000);
    operatorRateLimit = r.integer(Setting.AEGIS_OPERATOR_RATE_LIMIT, 0, 10_000_000);
    agentRateLimit = r.integer(Setting.AEGIS_AGENT_RATE_LIMIT, 0, 1_000_000);
    statusBacklog = r.integer(Setting.AEGIS_STATUS_BACKLOG, 1, 10_000_000);
    // The PostgreSQL driver counts both in whole seconds.
    dbConnectTimeout = r.duration(Setting.AEGIS_DB_CONNECT_TIMEOUT, Duration.ofSeconds(1), Duration.ofMinutes(10));
    dbSocketTimeout = r.duration(Setting.AEGIS_DB_SOCKET_TIMEOUT, Duration.ofSeconds(1), Duration.ofHours(24));
    blockingPoolSize = r.integer(Setting.AEGIS_BLOCKING_POOL_SIZE, 1, 10_000);
    int loops = r.integer(Setting.AEGIS_EVENT_LOOPS, 0, 1024);
    eventLoops = loops == 0 ? 2 * Runtime.getRuntime().availableProcessors() : loops;
    console = r.bool(Setting.AEGIS_CONSOLE);
    r.finish();
  }

  /** Reads and validates the configuration from environment-style variables. */
  public static Config fromEnvironment(Map<String, String> env) {
    return new Config(new Reader(env));
  }

  /** An IPv4 or IPv6 literal or a host name; checked for syntax only (no DNS lookup at start). */
  private static String bindAddress(String v) {
    if (!BIND_ADDRESS.matcher(v).matches()) {
      throw new IllegalArgumentException("must be an IP address such as 127.0.0.1, 0.0.0.0 or ::, or a host name");
    }
    return v;
  }

  private static boolean isLoopback(String address) {
    return address.equals("localhost") || address.startsWith("127.") || address.equals("::1") || address.equals("[::1]");
  }

  private static String hostName() {
    try {
      String h = InetAddress.getLocalHost().getHostName().replaceAll("[^A-Za-z0-9._:-]", "-");
      return h.isEmpty() ? "node" : h.substring(0, Math.min(h.length(), 50));
    } catch (UnknownHostException e) {
      return "node-1";
    }
  }

  public int port() { return port; }
  public String websocketPath() { return websocketPath; }
  public int readBufferSize() { return readBufferSize; }
  public int writeBufferSize() { return writeBufferSize; }
  public Path privateKeyPath() { return privateKeyPath; }
  public Path publicKeyPath() { return publicKeyPath; }
  public Duration sessionTimeout() { return sessionTimeout; }
  public Duration keyRotationInterval() { return keyRotationInterval; }
  public int messageQueueSize() { return messageQueueSize; }
  public int messageRetryAttempts() { return messageRetryAttempts; }
  public Duration messageTtl() { return messageTtl; }
  public DatabaseUrl database() { return database; }
  public String messageQueueTable() { return messageQueueTable; }
  public String connectionsTable() { return connectionsTable; }
  public Optional<String> redisUrl() { return redisUrl; }
  public Duration nodeTtl() { return nodeTtl; }
  public Duration drainPeriod() { return drainPeriod; }
  public int queuePartitions() { return queuePartitions; }
  public Duration redisTimeout() { return redisTimeout; }
  public Path dataDir() { return dataDir; }
  public Optional<String> adminToken() { return adminToken; }
  public String bindAddress() { return bindAddress; }
  public boolean allowInsecure() { return allowInsecure; }
  public Optional<TlsFiles> tls() { return tls; }
  public Duration tlsReloadInterval() { return tlsReloadInterval; }
  public String nodeId() { return nodeId; }
  public LogFormat logFormat() { return logFormat; }
  public String logLevel() { return logLevel; }
  public int metricsChannels() { return metricsChannels; }
  public long maxBodySize() { return maxBodySize; }
  public int maxFrameSize() { return maxFrameSize; }
  public long artifactMaxContentSize() { return artifactMaxContentSize; }
  public Duration authMaxClockSkew() { return authMaxClockSkew; }
  public int authRateLimit() { return authRateLimit; }
  public Optional<Path> nextPrivateKeyPath() { return nextPrivateKeyPath; }
  public Duration handshakeTimeout() { return handshakeTimeout; }
  public Duration heartbeatInterval() { return heartbeatInterval; }
  public Duration heartbeatTimeout() { return heartbeatTimeout; }
  public long keyRotationRecords() { return keyRotationRecords; }
  public int handshakeRateLimit() { return handshakeRateLimit; }
  public int maxPendingHandshakes() { return maxPendingHandshakes; }
  public int maxSessions() { return maxSessions; }
  public int sessionRateLimit() { return sessionRateLimit; }
  public AgentSignatures agentSignatures() { return agentSignatures; }
  public Duration lastSeenFlushInterval() { return lastSeenFlushInterval; }
  public Duration ackTimeout() { return ackTimeout; }
  public int deliveryWindow() { return deliveryWindow; }
  public Duration deliverySweepInterval() { return deliverySweepInterval; }
  public Duration maxSendWait() { return maxSendWait; }
  public Duration messageRetention() { return messageRetention; }
  public Duration maxPollWait() { return maxPollWait; }
  public int dbPoolSize() { return dbPoolSize; }

  public Duration dbConnectTimeout() { return dbConnectTimeout; }

  public int statusBacklog() { return statusBacklog; }

  public String trustedProxies() { return trustedProxies; }

  public Duration httpHeaderTimeout() { return httpHeaderTimeout; }

  public Duration httpBodyTimeout() { return httpBodyTimeout; }

  public Duration httpIdleTimeout() { return httpIdleTimeout; }

  public int maxConnectionsPerAddress() { return maxConnectionsPerAddress; }

  public int maxPendingHandshakesPerAddress() { return maxPendingHandshakesPerAddress; }

  public double authFailureRateLimit() { return authFailureRateLimit; }

  public double enrollRateLimit() { return enrollRateLimit; }

  public double operatorRateLimit() { return operatorRateLimit; }

  public double agentRateLimit() { return agentRateLimit; }

  public Duration idempotencyWindow() { return idempotencyWindow; }
  public Duration auditSignInterval() { return auditSignInterval; }
  /** Broadcasts to more agents than this wait for approval; empty: none for their size. */
  public OptionalInt approvalThreshold() { return approvalThreshold; }
  public java.util.Set<String> approvalChannels() { return approvalChannels; }
  public Duration approvalTimeout() { return approvalTimeout; }

  public Duration requestDeadline() { return requestDeadline; }

  public Duration dbSocketTimeout() { return dbSocketTimeout; }
  public int blockingPoolSize() { return blockingPoolSize; }
  public int eventLoops() { return eventLoops; }
  /** Whether the web console is served at {@code /console}. */
  public boolean console() { return console; }

  /** Reads raw values, applies defaults, and collects every problem before failing once. */
  private static final class Reader {
    private final Map<String, String> env;
    private final List<String> problems = new ArrayList<>();

    Reader(Map<String, String> env) {
      this.env = env;
    }

    String raw(Setting s) {
      String v = env.get(s.name());
      return v == null || v.isBlank() ? s.defaultValue() : v.trim();
    }

    Optional<String> optional(Setting s) {
      String v = raw(s);
      return v.isEmpty() ? Optional.empty() : Optional.of(v);
    }

    void problem(Setting s, String message) {
      problems.add(s.name() + ": " + message);
    }

    boolean hasProblem(Setting s) {
      return problems.stream().anyMatch(p -> p.startsWith(s.name() + ": "));
    }

    /** A path to a file that must exist and be readable now. */
    Path readableFile(Setting s) {
      return parse(s, v -> {
        Path p = Path.of(v).toAbsolutePath().normalize();
        if (!java.nio.file.Files.isRegularFile(p) || !java.nio.file.Files.isReadable(p)) {
          throw new IllegalArgumentException("is not a readable file");
        }
        return p;
      });
    }

    <T> T parse(Setting s, Function<String, T> parser) {
      String v = raw(s);
      try {
        return parser.apply(v);
      } catch (IllegalArgumentException e) {
        boolean secret = s == Setting.AEGIS_ADMIN_TOKEN || s == Setting.DATABASE_URL;
        problem(s, (secret ? "" : "'" + v + "' ") + e.getMessage());
        return null;
      }
    }

    int integer(Setting s, int min, int max) {
      Integer v = parse(s, x -> {
        long n;
        try {
          n = Long.parseLong(x);
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("is not a whole number");
        }
        if (n < min || n > max) {
          throw new IllegalArgumentException("must be between " + min + " and " + max);
        }
        return (int) n;
      });
      return v == null ? min : v;
    }

    int bufferSize(Setting s) {
      Long v = parse(s, x -> {
        long n = Sizes.parse(x);
        if (n != 0 && (n < 1024 || n > (64 << 20))) {
          throw new IllegalArgumentException("must be 0 (OS default) or between 1024 and 64MiB");
        }
        return n;
      });
      return v == null ? 0 : v.intValue();
    }

    long size(Setting s, long min, long max) {
      Long v = parse(s, x -> {
        long n = Sizes.parse(x);
        if (n < min || n > max) {
          throw new IllegalArgumentException(
              "must be between " + Sizes.format(min) + " and " + Sizes.format(max));
        }
        return n;
      });
      return v == null ? min : v;
    }

    Duration duration(Setting s, Duration min, Duration max) {
      Duration v = parse(s, x -> {
        Duration d = Durations.parse(x);
        if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
          throw new IllegalArgumentException(
              "must be between " + Durations.format(min) + " and " + Durations.format(max));
        }
        return d;
      });
      return v == null ? min : v;
    }

    boolean bool(Setting s) {
      Boolean v = parse(s, x -> switch (x.toLowerCase(Locale.ROOT)) {
        case "true", "1", "yes" -> true;
        case "false", "0", "no" -> false;
        default -> throw new IllegalArgumentException("must be true or false");
      });
      return v != null && v;
    }

    Path path(Setting s, Path dataDir) {
      return parse(s, v -> Path.of(v.replace("${AEGIS_DATA_DIR}", dataDir.toString())).toAbsolutePath().normalize());
    }

    String tableName(Setting s) {
      return parse(s, x -> {
        if (!TABLE_NAME.matcher(x).matches()) {
          throw new IllegalArgumentException("must be a lower-case SQL identifier ([a-z_][a-z0-9_]*, at most 63)");
        }
        return x;
      });
    }

    void finish() {
      if (!problems.isEmpty()) {
        throw new ConfigException(problems);
      }
    }
  }
}
