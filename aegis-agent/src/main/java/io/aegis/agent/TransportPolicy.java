package io.aegis.agent;

import io.aegis.protocol.CloseCode;
import io.aegis.protocol.handshake.HandshakeException;
import java.time.Duration;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * When the client leaves the WebSocket for HTTP polling, and how often it tries the WebSocket
 * again meanwhile.
 *
 * <p><b>Counting.</b> Each ended WebSocket connection (never a probe made while polling) is
 * classified by {@link #countsAsFailure(Disconnect)}:
 * <ul>
 * <li>a <em>failure</em> — the WebSocket path does not work: a connect error or dropped
 *     connection (1006), an upgrade refused with any HTTP status but 401 (5xx and 429, and the
 *     400/403/404/405/426 of a proxy or a wrong path), a handshake that failed for any reason but
 *     the gateway refusing the agent, and the closes 1001, 1011, 4006, 4007, 4008 and unknown
 *     4xxx codes (which PROTOCOL.md §13 treats as 4006);</li>
 * <li>the gateway's <em>refusal of the agent</em> — an upgrade refused with 401, its failure
 *     frame or close 4001: polling would be refused the same way, so this neither counts nor
 *     resets the count;</li>
 * <li>anything else (1000, 1009, 4002, 4005, …) ended a session that worked: the count starts
 *     again.</li>
 * </ul>
 * A session that stayed established for {@code stableAfter} also starts the count again before
 * its own end is counted. After {@code fallbackAfter} consecutive failures the client falls back
 * (if enabled). 4003 and 4004 stop the client before this policy is asked.
 *
 * <p><b>Probes.</b> While polling, the client tries the WebSocket after each
 * {@link #nextProbeDelay()}: {@code probeInterval} ± 25%, uniformly, so that a fleet that fell
 * back together does not come back together.
 *
 * <p>Not thread-safe; used on the client's I/O thread.
 */
final class TransportPolicy {

  private final boolean enabled;
  private final int fallbackAfter;
  private final Duration probeInterval;
  private final Duration stableAfter;
  private final RandomGenerator random;
  private int failures;

  TransportPolicy(boolean enabled, int fallbackAfter, Duration probeInterval, Duration stableAfter,
                  RandomGenerator random) {
    if (fallbackAfter < 1) {
      throw new IllegalArgumentException("fallbackAfter must be at least 1, was " + fallbackAfter);
    }
    this.enabled = enabled;
    this.fallbackAfter = fallbackAfter;
    this.probeInterval = Objects.requireNonNull(probeInterval, "probeInterval");
    this.stableAfter = Objects.requireNonNull(stableAfter, "stableAfter");
    this.random = Objects.requireNonNull(random, "random");
  }

  /** How an ended WebSocket connection counts towards the fallback. */
  enum Verdict {
    /** The WebSocket path failed. */
    FAILURE,
    /** The gateway refused the agent itself; polling would not help. */
    REFUSED,
    /** The WebSocket worked (a session ended in an ordinary way). */
    WORKED
  }

  /** Classifies how a WebSocket connection ended (see the class comment). */
  static Verdict classify(Disconnect d) {
    if (d.httpStatus() != 0) {
      return d.httpStatus() == 401 ? Verdict.REFUSED : Verdict.FAILURE;
    }
    if (d.cause() instanceof HandshakeException h) {
      return h.reason() == HandshakeException.Reason.REJECTED_BY_SERVER ? Verdict.REFUSED : Verdict.FAILURE;
    }
    int code = d.code();
    if (code == CloseCode.AUTH_FAILED.code()) {
      return Verdict.REFUSED;
    }
    if (code == Disconnect.ABNORMAL || code == CloseCode.GOING_AWAY.code() || code == CloseCode.INTERNAL_ERROR.code()
        || code == CloseCode.PROTOCOL_VIOLATION.code() || code == CloseCode.HANDSHAKE_TIMEOUT.code()
        || code == CloseCode.HEARTBEAT_TIMEOUT.code()) {
      return Verdict.FAILURE;
    }
    if (code >= 4000 && code <= 4999 && CloseCode.of(code) == null) {
      return Verdict.FAILURE;
    }
    return Verdict.WORKED;
  }

  /** True if {@code d} counts as a WebSocket failure. */
  static boolean countsAsFailure(Disconnect d) {
    return classify(d) == Verdict.FAILURE;
  }

  /**
   * Records how a WebSocket connection (not a probe) ended.
   *
   * @return true if the client should now fall back to HTTP polling
   */
  boolean fallBackAfter(Disconnect d) {
    if (d.established() && d.sessionLasted().compareTo(stableAfter) >= 0) {
      failures = 0;
    }
    switch (classify(d)) {
      case FAILURE -> failures++;
      case WORKED -> failures = 0;
      case REFUSED -> {
        // neither: the gateway is reachable over WebSocket, and refuses this agent
      }
    }
    return enabled && failures >= fallbackAfter;
  }

  /** Consecutive failures counted so far. */
  int failures() {
    return failures;
  }

  /** The client is back on the WebSocket: count from zero. */
  void reset() {
    failures = 0;
  }

  /** The wait before the next WebSocket probe: {@code probeInterval} ± 25%, at least 1 ms. */
  Duration nextProbeDelay() {
    long ms = probeInterval.toMillis();
    long low = ms - ms / 4;
    long high = ms + ms / 4;
    return Duration.ofMillis(Math.max(1, low + random.nextLong(high - low + 1)));
  }
}
