package io.aegis.agent;

import java.time.Instant;
import java.util.Objects;

/**
 * An established session, as reported to {@link Listener#connected(SessionInfo)}.
 *
 * @param sessionId    the 16-byte session id from the key schedule, as 32 lowercase hex characters
 *                     (the gateway logs the same value)
 * @param expiresAt    when the gateway will end the session: a WebSocket session is closed with
 *                     4002 and the client runs a fresh handshake at once; an HTTP polling session
 *                     is renewed by the client before then
 * @param backendKeyId key id (16 hex characters) of the pinned backend key that signed the
 *                     handshake (or the HTTP session)
 * @param transport    the transport of the session
 */
public record SessionInfo(String sessionId, Instant expiresAt, String backendKeyId, Transport transport) {

  /** Checks that {@code transport} is given. */
  public SessionInfo {
    Objects.requireNonNull(transport, "transport");
  }

  /** A WebSocket session. */
  public SessionInfo(String sessionId, Instant expiresAt, String backendKeyId) {
    this(sessionId, expiresAt, backendKeyId, Transport.WEBSOCKET);
  }
}
