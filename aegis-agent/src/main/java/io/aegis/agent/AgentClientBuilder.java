package io.aegis.agent;

import io.aegis.protocol.Identifiers;
import io.aegis.protocol.IdentityKeyPair;
import io.aegis.protocol.IdentityPublicKey;
import io.aegis.protocol.KeyFiles;
import io.aegis.protocol.PinnedBackendKeys;
import io.aegis.protocol.Protocol;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Configures an {@link AgentClient}. Required: {@link #backend(String)}, {@link #agentId(String)},
 * an identity ({@link #identity(IdentityKeyPair)} or {@link #identityFile(Path)}) and the pinned
 * backend key(s) ({@link #backendKeys}). Everything else has a default, given on each setter.
 * {@link #build()} validates all settings at once and fixes them.
 *
 * <p>Not thread-safe: configure on one thread. A builder may build several clients (for example
 * in tests), each with the same settings.
 */
public final class AgentClientBuilder {

  private static final Logger log = LoggerFactory.getLogger(AgentClientBuilder.class);

  private URI endpoint;
  private URI httpBase;
  private String agentId;
  private IdentityKeyPair identity;
  private PinnedBackendKeys backendKeys;
  private final Map<String, MessageHandler> handlers = new LinkedHashMap<>();
  private MessageHandler defaultHandler;
  private Listener listener = new Listener() { };
  private Executor handlerExecutor;
  private Duration backoffBase = Duration.ofSeconds(1);
  private Duration backoffCap = Duration.ofSeconds(60);
  private Duration longBackoffBase = Duration.ofSeconds(30);
  private Duration longBackoffCap = Duration.ofMinutes(15);
  private Duration connectTimeout = Duration.ofSeconds(10);
  private Duration handshakeTimeout = Duration.ofSeconds(10);
  private Duration pingInterval = Duration.ofSeconds(10);
  private Duration inactivityTimeout = Duration.ofSeconds(30);
  private Duration sendTimeout = Duration.ofMinutes(2);
  private Duration closeTimeout = Duration.ofSeconds(2);
  private Duration keyUpdateInterval = Duration.ofHours(1);
  private long keyUpdateRecords = 1_000_000;
  private int outboxCapacity = 1024;
  private int maxPendingDeliveries = 256;
  private int maxFrameBytes = Protocol.DEFAULT_MAX_FRAME_BYTES;
  private int dedupCapacity = 10_000;
  private Path dedupFile;
  private boolean signMessages = true;
  private Duration ackDelay = Duration.ofMillis(20);
  private int ackBatchSize = 64;
  private int sendRate = 100;
  private SSLContext sslContext;
  private boolean httpFallback = true;
  private int fallbackAfter = 3;
  private Duration pollWait = Duration.ofSeconds(30);
  private Duration probeInterval = Duration.ofSeconds(60);
  private Clock clock = Clock.systemUTC();

  AgentClientBuilder() {
  }

  /**
   * The gateway: its base URL ({@code https://host[:port][/prefix]}, the agent socket is then
   * {@code wss://host[:port][/prefix]/ws/agent} and the REST API, for the HTTP-polling fallback,
   * {@code https://host[:port][/prefix]/api/v1/…}) or the socket URL itself
   * ({@code wss://host/custom/path}; the REST API is then at the root of the same host and port).
   * Plain {@code http://}/{@code ws://} is for development on loopback; elsewhere the client logs
   * a warning (and the gateway refuses it unless configured otherwise).
   */
  public AgentClientBuilder backend(String url) {
    Objects.requireNonNull(url, "url");
    this.endpoint = BackendUrl.endpoint(url);
    this.httpBase = BackendUrl.httpBase(url);
    return this;
  }

  /** This agent's id, as registered: {@code [A-Za-z0-9._:-]{1,255}}. */
  public AgentClientBuilder agentId(String agentId) {
    this.agentId = Identifiers.requireAgentId(agentId);
    return this;
  }

  /** The agent's Ed25519 identity key pair (its public half is the registered key). */
  public AgentClientBuilder identity(IdentityKeyPair identity) {
    this.identity = Objects.requireNonNull(identity, "identity");
    return this;
  }

  /**
   * Reads the identity from a PKCS#8 PEM file (as written by {@code bin/aegis keygen}). Logs a
   * warning if group or others may read it.
   *
   * @throws UncheckedIOException if the file cannot be read
   * @throws io.aegis.protocol.InvalidKeyException if it holds no Ed25519 private key
   */
  public AgentClientBuilder identityFile(Path file) {
    try {
      this.identity = KeyFiles.readPrivateKey(file);
      if (!KeyFiles.isOwnerOnly(file)) {
        log.warn("agent key file {} is readable by group or others; chmod 600 it", file);
      }
    } catch (IOException e) {
      String why = e instanceof java.nio.file.NoSuchFileException ? "no such file" : e.getMessage();
      throw new UncheckedIOException("cannot read agent key file " + file + ": " + why, e);
    }
    return this;
  }

  /**
   * Pins the backend identity keys, in order: the first ({@link PinnedBackendKeys#current()}) is
   * asked for in every handshake, the second is accepted too (PROTOCOL.md §10.3). Give the pins
   * the client last reported ({@link AgentClient#pinnedBackendKeys()}) in the same order.
   */
  public AgentClientBuilder backendKeys(PinnedBackendKeys keys) {
    this.backendKeys = Objects.requireNonNull(keys, "keys");
    return this;
  }

  /**
   * Pins the backend identity keys given as base64 of their raw 32 bytes (as
   * {@code bin/aegis serve} prints): the key to ask for, and optionally a second accepted key
   * (during a rotation, the other one of old and new), as in {@link #backendKeys(PinnedBackendKeys)}.
   *
   * @throws io.aegis.protocol.InvalidKeyException if a key is not a valid Ed25519 public key
   */
  public AgentClientBuilder backendKeys(String currentBase64, String... nextBase64) {
    if (nextBase64.length > 1) {
      throw new IllegalArgumentException("pin at most two backend keys (current, next), got " + (1 + nextBase64.length));
    }
    IdentityPublicKey current = IdentityPublicKey.parseBase64(currentBase64);
    IdentityPublicKey next = nextBase64.length == 1 ? IdentityPublicKey.parseBase64(nextBase64[0]) : null;
    this.backendKeys = PinnedBackendKeys.of(current, next);
    return this;
  }

  /** Handles messages of one channel (replacing an earlier handler of it). */
  public AgentClientBuilder onMessage(String channel, MessageHandler handler) {
    handlers.put(Identifiers.requireChannel(channel), Objects.requireNonNull(handler, "handler"));
    return this;
  }

  /**
   * Handles messages of every channel without its own handler. Without one, such a message is
   * refused: acknowledged to the gateway as rejected with reason {@code no_handler} (it ends
   * {@code failed} there, "refused by the agent: no_handler", so the operator sees why) and
   * reported to {@link Listener#rejectedMessage}. Never silently dropped.
   */
  public AgentClientBuilder defaultHandler(MessageHandler handler) {
    this.defaultHandler = Objects.requireNonNull(handler, "handler");
    return this;
  }

  /** Receives lifecycle events (default: none). */
  public AgentClientBuilder listener(Listener listener) {
    this.listener = Objects.requireNonNull(listener, "listener");
    return this;
  }

  /**
   * Runs handlers on {@code executor} instead of the client's own single thread: messages of one
   * channel still run one at a time in order, different channels may run in parallel. The client
   * does not shut this executor down.
   */
  public AgentClientBuilder handlerExecutor(Executor executor) {
    this.handlerExecutor = Objects.requireNonNull(executor, "executor");
    return this;
  }

  /**
   * Backoff after a failure or an ordinary close (1001, 4006, 4007, 1009, network errors): the
   * n-th wait is random in [0, min(cap, base × 2^n)]. Default 1 s doubling to 60 s.
   */
  public AgentClientBuilder reconnectBackoff(Duration base, Duration cap) {
    this.backoffBase = Objects.requireNonNull(base, "base");
    this.backoffCap = Objects.requireNonNull(cap, "cap");
    return this;
  }

  /**
   * Backoff after an authentication failure (4001, HTTP 401/403) or rate limiting (4005, HTTP
   * 429), with full jitter like {@link #reconnectBackoff}. Default 30 s doubling to 15 min.
   */
  public AgentClientBuilder longBackoff(Duration base, Duration cap) {
    this.longBackoffBase = Objects.requireNonNull(base, "base");
    this.longBackoffCap = Objects.requireNonNull(cap, "cap");
    return this;
  }

  /** Time allowed for TCP, TLS and the HTTP upgrade. Default 10 s. */
  public AgentClientBuilder connectTimeout(Duration timeout) {
    this.connectTimeout = Objects.requireNonNull(timeout, "timeout");
    return this;
  }

  /** Time allowed for the protocol handshake after the upgrade; then 4007. Default 10 s. */
  public AgentClientBuilder handshakeTimeout(Duration timeout) {
    this.handshakeTimeout = Objects.requireNonNull(timeout, "timeout");
    return this;
  }

  /**
   * Heartbeat: the client pings every {@code pingInterval} (default 10 s) and drops a connection
   * on which nothing arrived for {@code inactivityTimeout} (default 30 s; at least twice the
   * interval), then reconnects with backoff: a gateway that vanished without a reset (a silent
   * partition, a paused node) is left within 30 s, and the agent reconnects elsewhere.
   */
  public AgentClientBuilder heartbeat(Duration pingInterval, Duration inactivityTimeout) {
    this.pingInterval = Objects.requireNonNull(pingInterval, "pingInterval");
    this.inactivityTimeout = Objects.requireNonNull(inactivityTimeout, "inactivityTimeout");
    return this;
  }

  /**
   * How long a {@link AgentClient#send} may wait for the gateway's acknowledgement, counted from
   * the call (time offline included), before its future fails with a
   * {@link java.util.concurrent.TimeoutException}. {@link Duration#ZERO} waits forever (the
   * outbox bound still applies). Default 2 min.
   */
  public AgentClientBuilder sendTimeout(Duration timeout) {
    this.sendTimeout = Objects.requireNonNull(timeout, "timeout");
    return this;
  }

  /** How long {@link AgentClient#close()} waits for acknowledgements and the close handshake. Default 2 s. */
  public AgentClientBuilder closeTimeout(Duration timeout) {
    this.closeTimeout = Objects.requireNonNull(timeout, "timeout");
    return this;
  }

  /**
   * Rekeying of the agent's sending direction: a {@code key_update} after {@code interval} or
   * {@code records} records under one key, whichever first. Default 1 h / 1,000,000.
   */
  public AgentClientBuilder keyUpdate(Duration interval, long records) {
    this.keyUpdateInterval = Objects.requireNonNull(interval, "interval");
    this.keyUpdateRecords = records;
    return this;
  }

  /**
   * Most messages the client holds that the gateway has not acknowledged (queued while offline,
   * or in flight). A send beyond it fails at once with {@link OutboxFullException}. Default 1024.
   */
  public AgentClientBuilder outboxCapacity(int capacity) {
    this.outboxCapacity = capacity;
    return this;
  }

  /**
   * Most backend messages waiting for or running in handlers; at this many the client stops
   * reading from the socket until half have finished (backpressure to the gateway, which holds
   * the rest in its durable queue). A handler stuck longer than the gateway's heartbeat timeout
   * gets the session closed and its messages redelivered later. Default 256.
   */
  public AgentClientBuilder maxPendingDeliveries(int max) {
    this.maxPendingDeliveries = max;
    return this;
  }

  /** Largest frame accepted or sent, in bytes (≥ 1024). Match the gateway's limit. Default 1 MiB. */
  public AgentClientBuilder maxFrameBytes(int bytes) {
    this.maxFrameBytes = bytes;
    return this;
  }

  /** Most delivered message ids remembered for de-duplication (and kept in the dedup file). Default 10,000. */
  public AgentClientBuilder dedupCapacity(int capacity) {
    this.dedupCapacity = capacity;
    return this;
  }

  /**
   * Persists the ids of delivered messages to {@code file} (appended and forced to disk before
   * each handler runs), so that an agent that restarts does not run a redelivered command again.
   * Default: memory only.
   */
  public AgentClientBuilder dedupFile(Path file) {
    this.dedupFile = Objects.requireNonNull(file, "file");
    return this;
  }

  /**
   * Sign {@code event}, {@code request} and {@code response} records with the identity key
   * (audience {@code backend}), for attribution; the gateway's policy may require it. Default
   * true. Acks, subscriptions and key updates are never signed.
   */
  public AgentClientBuilder signMessages(boolean sign) {
    this.signMessages = sign;
    return this;
  }

  /** Acknowledgement batching: flush after {@code delay} or {@code maxIds} ids. Default 20 ms / 64. */
  public AgentClientBuilder ackBatching(Duration delay, int maxIds) {
    this.ackDelay = Objects.requireNonNull(delay, "delay");
    this.ackBatchSize = maxIds;
    return this;
  }

  /**
   * Paces the messages this agent sends to {@code perSecond} on average (bursts of twice that);
   * the rest wait in the outbox. Keep it below the gateway's {@code AEGIS_SESSION_RATE_LIMIT}
   * (default 200 records/s), which closes a faster session with 4005 (then a long backoff). 0
   * disables pacing. Default 100.
   */
  public AgentClientBuilder sendRate(int perSecond) {
    this.sendRate = perSecond;
    return this;
  }

  /** TLS settings for {@code wss://} and the HTTP-polling requests (for example a private CA). Default: the JVM's. */
  public AgentClientBuilder sslContext(SSLContext context) {
    this.sslContext = Objects.requireNonNull(context, "context");
    return this;
  }

  /**
   * Whether the client falls back to HTTP polling (PROTOCOL.md §17) when the WebSocket keeps
   * failing, for example behind a proxy that refuses upgrades. Default true. See
   * {@link #fallbackAfter(int)} for when, {@link #websocketProbeInterval(Duration)} for the way
   * back.
   */
  public AgentClientBuilder httpFallback(boolean enabled) {
    this.httpFallback = enabled;
    return this;
  }

  /**
   * How many consecutive WebSocket failures make the client fall back to HTTP polling (1-1000).
   * Failures are: connect errors and dropped connections (1006), a refused upgrade with any HTTP
   * status but 401 (5xx, 429, and a proxy's 400/403/404/426), a handshake that fails other than by
   * the gateway refusing the agent, and closes 1001, 1011, 4006, 4007, 4008 (and unknown 4xxx
   * codes, treated as 4006). A session that stayed up 10 s, or ended any other way, starts the
   * count again; the gateway's refusal of the agent (401, its 4001) neither counts nor resets it;
   * 4003 and 4004 still stop the client. Default 3.
   */
  public AgentClientBuilder fallbackAfter(int failures) {
    this.fallbackAfter = failures;
    return this;
  }

  /**
   * How long each HTTP long poll waits for a message ({@code ?wait=}; a gateway cuts a longer
   * wait than its {@code AEGIS_MAX_POLL_WAIT}, 60 s by default, to it). Longer waits mean fewer
   * requests; a message is delivered as soon as it is due either way. Default 30 s.
   */
  public AgentClientBuilder pollWait(Duration wait) {
    this.pollWait = Objects.requireNonNull(wait, "wait");
    return this;
  }

  /**
   * While on HTTP polling, how often the client tries the WebSocket again: each wait is random
   * within ±25% of {@code interval}. Polling stops only once a WebSocket session is established.
   * Default 60 s.
   */
  public AgentClientBuilder websocketProbeInterval(Duration interval) {
    this.probeInterval = Objects.requireNonNull(interval, "interval");
    return this;
  }

  /** Wall clock for timestamps and command expiry. Default UTC system clock. */
  public AgentClientBuilder clock(Clock clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
    return this;
  }

  /**
   * Validates the settings and builds a client (not started). Opens the dedup file if one is set.
   *
   * @throws IllegalStateException    if a required setting is missing
   * @throws IllegalArgumentException if a setting is out of range (the message names it)
   * @throws UncheckedIOException     if the dedup file cannot be read or created
   */
  public AgentClient build() {
    require(endpoint != null, "backend URL is required: backend(\"https://gateway.example.com\")");
    require(agentId != null, "agent id is required: agentId(\"...\")");
    require(identity != null, "identity key is required: identity(...) or identityFile(path)");
    require(backendKeys != null, "pinned backend key is required: backendKeys(\"<base64>\")");
    positive("backoff base", backoffBase);
    atLeast("backoff cap", backoffCap, backoffBase);
    positive("long backoff base", longBackoffBase);
    atLeast("long backoff cap", longBackoffCap, longBackoffBase);
    positive("connectTimeout", connectTimeout);
    positive("handshakeTimeout", handshakeTimeout);
    positive("pingInterval", pingInterval);
    atLeast("inactivityTimeout", inactivityTimeout, pingInterval.multipliedBy(2));
    if (sendTimeout.isNegative()) {
      throw new IllegalArgumentException("sendTimeout must not be negative (ZERO = no limit), was " + sendTimeout);
    }
    positive("closeTimeout", closeTimeout);
    positive("keyUpdate interval", keyUpdateInterval);
    range("keyUpdate records", keyUpdateRecords, 1, Protocol.MAX_RECORDS_PER_EPOCH - 1);
    range("outboxCapacity", outboxCapacity, 1, 1_000_000);
    range("maxPendingDeliveries", maxPendingDeliveries, 1, 1_000_000);
    range("maxFrameBytes", maxFrameBytes, 1024, 64 << 20);
    range("dedupCapacity", dedupCapacity, 1, 10_000_000);
    positive("ack delay", ackDelay);
    range("ack batch size", ackBatchSize, 1, 4096);
    range("sendRate", sendRate, 0, 1_000_000);
    range("fallbackAfter", fallbackAfter, 1, 1000);
    positive("pollWait", pollWait);
    atMost("pollWait", pollWait, Duration.ofMinutes(10));
    positive("websocketProbeInterval", probeInterval);
    if (endpoint.getScheme().equals("ws") && !BackendUrl.isLoopback(endpoint)) {
      log.warn("agent {}: connecting to {} without TLS; use wss:// (https://) outside development", agentId, endpoint);
    }
    DeliveredIds delivered;
    try {
      delivered = dedupFile == null ? DeliveredIds.inMemory(dedupCapacity) : DeliveredIds.open(dedupFile, dedupCapacity);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open dedup file " + dedupFile + ": " + e.getMessage(), e);
    }
    ExecutorService owned = null;
    Threads handlerThreads = null;
    Executor executor = handlerExecutor;
    if (executor == null) {
      handlerThreads = new Threads("aegis-agent-handler-" + agentId);
      owned = Executors.newSingleThreadExecutor(handlerThreads);
      executor = owned;
    }
    AgentConfig config = new AgentConfig(endpoint, httpBase, agentId, identity, backendKeys, Map.copyOf(handlers),
        defaultHandler, listener, executor, backoffBase, backoffCap, longBackoffBase, longBackoffCap, connectTimeout,
        handshakeTimeout, pingInterval, inactivityTimeout, sendTimeout, closeTimeout, keyUpdateInterval,
        keyUpdateRecords, outboxCapacity, maxPendingDeliveries, maxFrameBytes, dedupCapacity, dedupFile, signMessages,
        ackDelay, ackBatchSize, sendRate, sslContext, httpFallback, fallbackAfter, pollWait, probeInterval, clock);
    return new AgentClient(config, delivered, owned, handlerThreads);
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalStateException(message);
    }
  }

  private static void positive(String name, Duration d) {
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive, was " + d);
    }
  }

  private static void atLeast(String name, Duration d, Duration min) {
    if (d.compareTo(min) < 0) {
      throw new IllegalArgumentException(name + " must be at least " + min + ", was " + d);
    }
  }

  private static void atMost(String name, Duration d, Duration max) {
    if (d.compareTo(max) > 0) {
      throw new IllegalArgumentException(name + " must be at most " + max + ", was " + d);
    }
  }

  private static void range(String name, long value, long min, long max) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(name + " must be in " + min + ".." + max + ", was " + value);
    }
  }
}
