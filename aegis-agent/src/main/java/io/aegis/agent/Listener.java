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

  /**
   * A session was established: the gateway authenticated by a pinned key. Over WebSocket, the
   * handshake completed; over HTTP polling ({@link SessionInfo#transport()}), {@code POST
   * /api/v1/auth} gave a session whose keys check out, and again each time the client renews it
   * before it expires.
   */
  default void connected(SessionInfo session) {
  }

  /**
   * The client switched transports: to {@link Transport#HTTP_POLLING} after
   * {@link AgentClientBuilder#fallbackAfter(int) repeated WebSocket failures} (its HTTP session
   * is reported by {@link #connected} once authenticated), or back to {@link Transport#WEBSOCKET}
   * when a WebSocket session was established again (then {@link #connected} follows at once).
   * WebSocket attempts made while polling (probes) are not reported through
   * {@link #disconnected} or {@link #reconnecting}.
   */
  default void transportChanged(Transport transport) {
  }

  /**
   * The WebSocket connection ended, or an attempt to connect failed (not called for probes while
   * on HTTP polling).
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
   * The client will try to connect the WebSocket again after {@code delay} (unless it falls back
   * to HTTP polling instead: then {@link #transportChanged} is called).
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
   * A backend message was refused (bad or missing signature, another agent's message, expired,
   * or no handler for its channel) and acknowledged to the gateway as rejected; no handler saw
   * it. Worth an alert: it may mean tampering, a misconfigured backend key, or a backend sending
   * on a channel this agent does not handle.
   */
  default void rejectedMessage(RejectedMessage message) {
  }

  /**
   * The client accepted an announcement of the backend's next identity key (a {@code backend_key}
   * record signed by a pinned key, PROTOCOL.md §10.3) that was not already its first pin. The pins
   * are now <b>[{@code nextKey}, the previous first pin]</b>: later handshakes ask for
   * {@code nextKey} (a gateway that does not hold it yet signs with the second pin, which is
   * accepted), and commands signed by either key are accepted. Called once per change, not for a
   * repeated announcement of the first pin.
   *
   * <p>Persist both pins in this order (for example
   * {@code backendKeys(nextKey, previousFirst)}), so that a restarted agent asks for the same key
   * and the backend can rotate without breaking it. {@link AgentClient#pinnedBackendKeys()} gives
   * the pins as they are when it is called.
   */
  default void backendKeyAnnounced(IdentityPublicKey nextKey) {
  }

  /**
   * A WebSocket handshake or an HTTP-polling session was signed by the <em>second</em> pin, which
   * means the gateway that answered does not hold the first now and uses {@code currentKey} as its
   * current key (it signs with the key asked for whenever it holds it; PROTOCOL.md §10.3). The
   * client swapped its pins: they are now <b>[{@code currentKey}, the previous first pin]</b>, and
   * later sessions ask for {@code currentKey}. Normally this completes a rotation (the gateway
   * promoted its next key and dropped the old one); it is also called when the client asked for
   * an announced key that the gateway it reached does not hold yet (a node not yet given the next
   * key) or any more (a rotation rolled back), so it is no proof that the rotation ended. Both
   * keys stay pinned until a later announcement replaces the second. Persist the new order.
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
