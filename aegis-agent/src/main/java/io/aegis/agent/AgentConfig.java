package io.aegis.agent;

import io.aegis.protocol.IdentityKeyPair;
import io.aegis.protocol.PinnedBackendKeys;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executor;
import javax.net.ssl.SSLContext;

/**
 * The settings of one client, validated by {@link AgentClientBuilder#build()} and then fixed.
 * See the builder for each setting's meaning, unit and default. Immutable.
 */
record AgentConfig(
    URI endpoint,
    URI httpBase,
    String agentId,
    IdentityKeyPair identity,
    PinnedBackendKeys backendKeys,
    Map<String, MessageHandler> handlers,
    MessageHandler defaultHandler,
    Listener listener,
    Executor handlerExecutor,
    Duration backoffBase,
    Duration backoffCap,
    Duration longBackoffBase,
    Duration longBackoffCap,
    Duration connectTimeout,
    Duration handshakeTimeout,
    Duration pingInterval,
    Duration inactivityTimeout,
    Duration sendTimeout,
    Duration closeTimeout,
    Duration keyUpdateInterval,
    long keyUpdateRecords,
    int outboxCapacity,
    int maxPendingDeliveries,
    int maxFrameBytes,
    int dedupCapacity,
    Path dedupFile,
    boolean signMessages,
    Duration ackDelay,
    int ackBatchSize,
    int sendRate,
    SSLContext sslContext,
    boolean httpFallback,
    int fallbackAfter,
    Duration pollWait,
    Duration probeInterval,
    Clock clock) {

  /** A session that stays established this long resets the reconnect backoff. */
  static final Duration STABLE_SESSION = Duration.ofSeconds(10);

  /** Records sealed ahead of the socket at most; the rest wait in the outbox (socket backpressure). */
  static final int MAX_FRAMES_AHEAD = 16;

  /** The User-Agent header: {@code Aegis-Agent/<version> (java)}. */
  static String userAgent() {
    return "Aegis-Agent/" + Version.SDK + " (java)";
  }
}
