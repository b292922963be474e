package io.aegis.agent;

import java.time.Instant;

/**
 * An established session, as reported to {@link Listener#connected(SessionInfo)}.
 *
 * @param sessionId    the 16-byte session id from the key schedule, as 32 lowercase hex characters
 *                     (the gateway logs the same value)
 * @param expiresAt    when the gateway will end the session (close code 4002); the client then
 *                     runs a fresh handshake at once
 * @param backendKeyId key id (16 hex characters) of the pinned backend key that signed the
 *                     handshake
 */
public record SessionInfo(String sessionId, Instant expiresAt, String backendKeyId) {
}
