package io.aegis.server.gateway;

import io.vertx.core.http.ServerWebSocket;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives an agent's WebSocket the direct write path Vert.x gives HTTP connections in strict
 * thread mode, instead of its own write queue: about 4.6 KiB less heap per idle session, a third
 * of what one costs (4.6 GiB at a million sessions).
 *
 * <p>Vert.x 5.0 builds every WebSocket connection with a multi-producer write queue, so that any
 * thread may write to it: a JCTools queue whose first chunk is an array of 1,024 slots, allocated
 * when the socket opens whether or not it is ever used. Strict thread mode (which the server sets,
 * {@code HttpServerOptions.setStrictThreadMode}) replaces it with a direct write for HTTP
 * connections, but the WebSocket handshaker does not pass the mode on (5.0.7,
 * {@code ServerWebSocketHandshaker}). An agent session writes only on its event loop
 * ({@link AgentSession}'s contract), which is what the direct path needs: writes go straight to
 * Netty, and {@code writeQueueFull()} follows the channel's writability (Netty's water marks), so
 * the delivery engine's back-pressure works as before.
 *
 * <p>The fields it changes are Vert.x internals; if they are not there (another Vert.x version),
 * it says so once at start and sessions keep Vert.x's queue. {@code DirectWritesTest} fails when
 * that happens, so an upgrade cannot lose this silently.
 */
final class DirectWrites {
  private static final Logger log = LoggerFactory.getLogger(DirectWrites.class);

  private static final Field CONNECTION; // WebSocketImplBase.conn
  private static final Field WRAPPED; // Vert.x Web's ServerWebSocketWrapper.delegate (a routed upgrade's socket)
  private static final Field QUEUE; // VertxConnection.outboundMessageQueue
  private static final Constructor<?> DIRECT; // VertxConnection.DirectOutboundMessageQueue(VertxConnection)
  private static final Class<?> VERTX_CONNECTION;

  static {
    Field connection = null;
    Field queue = null;
    Constructor<?> direct = null;
    Class<?> vertxConnection = null;
    Field wrapped = null;
    try {
      wrapped = Class.forName("io.vertx.ext.web.impl.ServerWebSocketWrapper").getDeclaredField("delegate");
      wrapped.setAccessible(true);
      vertxConnection = Class.forName("io.vertx.core.net.impl.VertxConnection");
      connection = Class.forName("io.vertx.core.http.impl.WebSocketImplBase").getDeclaredField("conn");
      queue = vertxConnection.getDeclaredField("outboundMessageQueue");
      direct = Class.forName("io.vertx.core.net.impl.VertxConnection$DirectOutboundMessageQueue")
          .getDeclaredConstructor(vertxConnection);
      connection.setAccessible(true);
      queue.setAccessible(true);
      direct.setAccessible(true);
    } catch (ReflectiveOperationException | RuntimeException e) {
      log.warn("agent WebSockets keep Vert.x's own write queue (about 4.6 KiB more heap per session): {}",
          e.toString());
      connection = null;
    }
    CONNECTION = connection;
    WRAPPED = wrapped;
    QUEUE = queue;
    DIRECT = direct;
    VERTX_CONNECTION = vertxConnection;
  }

  private DirectWrites() {}

  /** Whether this Vert.x has the internals {@link #install} changes. */
  static boolean available() {
    return CONNECTION != null;
  }

  /**
   * Switches {@code ws} to direct writes. Call on the socket's event loop before anything is
   * written to it, and write to it only from that loop afterwards. Returns whether it switched.
   */
  static boolean install(ServerWebSocket ws) {
    if (CONNECTION == null) {
      return false;
    }
    try {
      Object socket = WRAPPED.getDeclaringClass().isInstance(ws) ? WRAPPED.get(ws) : ws;
      Object conn = CONNECTION.get(socket);
      // Just opened, nothing is queued yet; a socket already over its mark is left as it is.
      if (!VERTX_CONNECTION.isInstance(conn) || ws.writeQueueFull()) {
        return false;
      }
      QUEUE.set(conn, DIRECT.newInstance(conn));
      return true;
    } catch (ReflectiveOperationException | RuntimeException e) {
      log.debug("WebSocket keeps Vert.x's write queue: {}", e.toString());
      return false;
    }
  }
}
