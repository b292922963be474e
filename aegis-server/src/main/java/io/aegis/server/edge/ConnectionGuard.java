package io.aegis.server.edge;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.impl.ConnectionBase;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Bounds what one client can hold open before it has proven anything: every HTTP connection must
 * send a complete request head within {@code AEGIS_HTTP_HEADER_TIMEOUT} of opening (and, kept
 * alive, its next one within {@code AEGIS_HTTP_IDLE_TIMEOUT} of its last answer), and the body
 * within {@code AEGIS_HTTP_BODY_TIMEOUT} of its head; one
 * address holds at most {@code AEGIS_MAX_CONNECTIONS_PER_ADDRESS} connections (trusted proxies
 * excepted: their connections carry many clients). A connection that breaks a rule is closed and
 * counted in {@code aegis_connections_closed_by_guard_total{reason}}. WebSocket upgrades are left,
 * once requested, to the handshake timeout and the heartbeat; idle connections to Vert.x's idle
 * timeout ({@code AEGIS_HTTP_IDLE_TIMEOUT}).
 *
 * <p>Install {@link #onConnection} as the server's connection handler and wrap its request
 * handler with {@link #wrap}. Thread-safe: a connection's state is touched on its event loop, the
 * per-address counts from any.
 */
public final class ConnectionGuard {
  private final Vertx vertx;
  private final ClientAddresses addresses;
  private final long headerMillis;
  private final long bodyMillis;
  private final long idleMillis;
  private final int maxPerAddress;
  private final Map<String, AtomicInteger> perAddress = new ConcurrentHashMap<>();
  private final Map<HttpConnection, Watch> watches = new ConcurrentHashMap<>();
  private final Map<String, Counter> closed = new ConcurrentHashMap<>();
  private final MeterRegistry meters;

  /** What the guard knows of one connection (its event loop only). */
  private static final class Watch {
    HttpServerRequest current; // null until the first request head
    long bodyDeadline; // nanoTime by which current's body must have arrived, 0 if it has none
    long idleSince; // when the last answer was seen finished, 0 while a request runs
    long timer = -1;
    boolean released; // an upgrade: the WebSocket rules apply from now on
  }

  public ConnectionGuard(Vertx vertx, ClientAddresses addresses, Duration header, Duration body, Duration idle,
                         int maxPerAddress, MeterRegistry meters) {
    this.vertx = vertx;
    this.addresses = addresses;
    this.headerMillis = header.toMillis();
    this.bodyMillis = body.toMillis();
    this.idleMillis = idle.toMillis();
    this.maxPerAddress = maxPerAddress;
    this.meters = meters;
    for (String reason : REASONS) {
      counter(reason);
    }
  }

  static final java.util.List<String> REASONS = java.util.List.of(
      "too_many_connections", "header_timeout", "body_timeout");

  /** A connection opened (on its event loop). */
  public void onConnection(HttpConnection conn) {
    String ip = conn.remoteAddress() == null ? "" : conn.remoteAddress().hostAddress();
    boolean counted = !addresses.isTrustedProxy(ip);
    if (counted) {
      int n = perAddress.computeIfAbsent(ip, k -> new AtomicInteger()).incrementAndGet();
      if (n > maxPerAddress) {
        release(ip);
        close(conn, "too_many_connections");
        return;
      }
    }
    Watch w = new Watch();
    watches.put(conn, w);
    Runnable closed = () -> {
      Watch gone = watches.remove(conn);
      if (gone != null && gone.timer >= 0) {
        vertx.cancelTimer(gone.timer);
      }
      if (counted) {
        release(ip);
      }
    };
    // The socket's own close, not the HTTP connection's close handler: after a WebSocket upgrade
    // Vert.x replaces the HTTP connection's handler, whose close handler then never runs, and the
    // address would keep the place of every WebSocket it ever opened.
    if (conn instanceof ConnectionBase base) {
      base.channel().closeFuture().addListener(f -> closed.run());
    } else {
      conn.closeHandler(v -> closed.run());
    }
    // The first request head must come in time.
    w.idleSince = System.nanoTime();
    w.timer = vertx.setPeriodic(Math.max(100, Math.min(headerMillis, bodyMillis) / 4), id -> check(conn, w));
  }

  /** Wraps the server's request handler so that the guard sees every request start. */
  public Handler<HttpServerRequest> wrap(Handler<HttpServerRequest> handler) {
    return req -> {
      Watch w = watches.get(req.connection());
      if (w != null && !w.released) {
        w.current = req;
        w.idleSince = 0;
        if ("websocket".equalsIgnoreCase(req.getHeader("Upgrade"))) {
          // The handshake timeout and heartbeat bound it from here; the guard keeps only its place
          // in the address's count (given back when the socket closes), not the upgrade request.
          w.released = true;
          w.current = null;
          vertx.cancelTimer(w.timer);
          w.timer = -1;
          watches.remove(req.connection());
        } else {
          // Checked by the connection's periodic check, not by a timer per request: a timer would
          // keep every request (head, body, routing context) reachable for the whole body timeout,
          // 30 s of traffic on the heap (about 160 MiB at 1,000 sends/s).
          w.bodyDeadline = hasBody(req) ? System.nanoTime() + bodyMillis * 1_000_000L : 0;
        }
      }
      handler.handle(req);
    };
  }

  /** Closes a connection that has not sent its next request head within the header timeout. */
  private void check(HttpConnection conn, Watch w) {
    if (w.released) {
      return;
    }
    long now = System.nanoTime();
    if (w.current != null && w.bodyDeadline != 0 && !w.current.isEnded() && now - w.bodyDeadline >= 0) {
      close(conn, "body_timeout");
      return;
    }
    if (w.current != null && !w.current.response().ended()) {
      w.idleSince = 0; // an answer is being worked on (a long poll may take a minute)
      return;
    }
    if (w.idleSince == 0) {
      w.idleSince = now; // the answer is finished: the next head's time starts
      return;
    }
    // The first head must come soon; a kept-alive connection may rest longer between requests.
    long allowed = w.current == null ? headerMillis : idleMillis;
    if (now - w.idleSince >= allowed * 1_000_000L) {
      close(conn, "header_timeout");
    }
  }

  private static boolean hasBody(HttpServerRequest req) {
    String length = req.getHeader("Content-Length");
    return (length != null && !length.equals("0")) || req.getHeader("Transfer-Encoding") != null;
  }

  private void release(String ip) {
    perAddress.computeIfPresent(ip, (k, n) -> n.decrementAndGet() <= 0 ? null : n);
  }

  private void close(HttpConnection conn, String reason) {
    counter(reason).increment();
    conn.close();
  }

  private Counter counter(String reason) {
    return closed.computeIfAbsent(reason, r -> Counter.builder("aegis.connections.closed.by.guard")
        .description("Connections the gateway closed or refused before they proved anything, by reason")
        .tag("reason", r)
        .register(meters));
  }

  /** Open connections from {@code ip} (not counting trusted proxies'), for tests and metrics. */
  int connections(String ip) {
    AtomicInteger n = perAddress.get(ip);
    return n == null ? 0 : n.get();
  }
}
