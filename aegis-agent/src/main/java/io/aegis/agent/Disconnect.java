package io.aegis.agent;

import io.aegis.protocol.CloseCode;
import java.time.Duration;

/**
 * How one connection ended: the close code (the gateway's, or the client's own), the reason, an
 * HTTP status if the upgrade was refused, and how long the session had been established.
 *
 * @param code          WebSocket close code; {@link #ABNORMAL} when no close frame was exchanged
 * @param reason        close reason or a description of the failure
 * @param httpStatus    status of a refused upgrade, else 0
 * @param sessionLasted how long the session was established, or {@code null} if the handshake
 *                      never completed
 * @param cause         the exception behind it, or {@code null}
 */
record Disconnect(int code, String reason, int httpStatus, Duration sessionLasted, Throwable cause) {

  /** RFC 6455 §7.4.1: closed without a close frame (network error, timeout, refused upgrade). */
  static final int ABNORMAL = 1006;

  /**
   * What the client does next. An upgrade refused with HTTP 401 or 403 (unknown or inactive
   * agent, key mismatch) is an authentication failure, like close code 4001; 429 is rate
   * limiting, like 4005; anything else (503 included) is retried with normal backoff. Close codes
   * follow {@link CloseCode#reactionFor(int)} (unknown codes and 1006: normal backoff).
   */
  CloseCode.Reaction reaction() {
    if (httpStatus != 0) {
      return switch (httpStatus) {
        case 401, 403, 429 -> CloseCode.Reaction.RECONNECT_BACKOFF_LONG;
        default -> CloseCode.Reaction.RECONNECT_BACKOFF;
      };
    }
    return CloseCode.reactionFor(code);
  }

  boolean established() {
    return sessionLasted != null;
  }
}
