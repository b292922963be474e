package io.aegis.agent;

import io.aegis.protocol.CloseCode;
import io.aegis.protocol.IdentityPublicKey;
import java.time.Duration;

/**
 * Hooks for the life of an {@link AgentClient}: every method has a no-op default, so implement
 * only what you need.
 *
 * <p><b>Threading.</b> Methods are called one at a time, in the order the events happened, on
 * the client's callback thread (the same thread that completes send futures). They must not
 * block for long, and must not wait for a send future (that future is completed on this same
 * thread): use the {@code ...Async} stages of {@link java.util.concurrent.CompletableFuture}
 * instead. An exception thrown by a method is logged and otherwise ignored.
 */
public interface Listener {

  /** A session was established: handshake done, the gateway authenticated by a pinned key. */
  default void connected(SessionInfo session) {
  }

  /**
   * The connection ended, or an attempt to connect failed.
   *
   * @param code   the WebSocket close code: the gateway's (see {@link CloseCode}), the client's
   *               own when it closed ({@code 4006} protocol violation, {@code 4007} handshake
   *               timeout, {@code 4001} handshake failure, {@code 1000} on {@link AgentClient#close()}),
   *               or {@code 1006} when there was no close frame (network error, refused
   *               upgrade, dead gateway)
   * @param reason the close reason, or a description such as {@code "upgrade refused: HTTP 401"}
   */
  default void disconnected(int code, String reason) {
  }

  /**
   * The client will try to connect again after {@code delay}.
   *
   * @param delay    the wait (full jitter: a random value up to the current backoff ceiling;
   *                 zero for {@link CloseCode.Reaction#RECONNECT_NOW})
   * @param reaction which rule chose the delay: {@link CloseCode.Reaction#RECONNECT_NOW},
   *                 {@link CloseCode.Reaction#RECONNECT_BACKOFF} or
   *                 {@link CloseCode.Reaction#RECONNECT_BACKOFF_LONG}
   */
  default void reconnecting(Duration delay, CloseCode.Reaction reaction) {
  }

  /**
   * The client stopped for good and will not reconnect. Called once. Pending send futures have
   * failed with {@link AgentStoppedException}.
   */
  default void stopped(StopReason reason) {
  }

  /**
   * A backend message was refused (bad or missing signature, another agent's message, expired)
   * and acknowledged to the gateway as rejected; no handler saw it. Worth an alert: it may mean
   * tampering or a misconfigured backend key.
   */
  default void rejectedMessage(RejectedMessage message) {
  }

  /**
   * The backend announced its next identity key, signed by a pinned key. The client already uses
   * it as the second pin for later handshakes and commands; persist it (for example next to the
   * agent's configuration) so that a restarted agent pins it too, and the backend can rotate
   * without breaking this agent.
   */
  default void backendKeyAnnounced(IdentityPublicKey nextKey) {
  }

  /**
   * The backend completed a key rotation: it signed a handshake with the pinned next key, which
   * is now the only pin (the old current key is dropped). Persist it as the agent's current
   * backend key.
   */
  default void backendKeyPromoted(IdentityPublicKey currentKey) {
  }

  /**
   * Something went wrong that does not end the session: a handler threw, the de-duplication file
   * could not be written, the handshake failed (then {@link #disconnected} follows), and so on.
   */
  default void error(Throwable error) {
  }
}
