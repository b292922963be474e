package io.aegis.server.gateway;

import io.aegis.protocol.BackendKeyRing;
import io.aegis.protocol.CloseCode;
import io.aegis.protocol.IdentityKeyPair;
import io.aegis.protocol.IdentityPublicKey;
import io.aegis.protocol.Identifiers;
import io.aegis.protocol.handshake.ServerHandshake;
import io.aegis.server.api.ApiJson;
import io.aegis.server.edge.RateLimiter;
import io.aegis.server.auth.AgentSessions;
import io.aegis.server.auth.AgentSignaturePolicy;
import io.aegis.server.auth.NextKeyAnnouncement;
import io.aegis.server.cluster.NodeEvents;
import io.aegis.server.cluster.Presence;
import io.aegis.server.cluster.Revocation;
import io.aegis.server.cluster.Transport;
import io.aegis.server.config.Config;
import io.aegis.protocol.crypto.StrictBase64;
import io.aegis.server.registry.AgentRegistry;
import io.aegis.server.store.WriteBatcher;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent WebSocket endpoint ({@code GET WEBSOCKET_PATH}, default {@code /ws/agent}) and what
 * its sessions share.
 *
 * <p>Before upgrading, the endpoint refuses what it can refuse cheaply: a node that is draining
 * or full (503), an address over its upgrade rate (429), malformed {@code X-Agent-ID} /
 * {@code X-Agent-Public-Key} headers (400), and an agent that is unknown, inactive or presents a
 * key other than its registered one (401, one answer for all three). Only then does it upgrade
 * and hand the socket to an {@link AgentSession}, which runs the handshake.
 *
 * <p>Thread-safe.
 */
public final class AgentGateway implements NodeEvents.Listener, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AgentGateway.class);

  private final Vertx vertx;
  private final Config config;
  private final BackendKeyRing keyRing;
  private final ServerHandshake.Config handshakeConfig;
  private final AgentRegistry registry;
  private final AgentSessions sessions;
  private final ConnectionsTable connectionsTable;
  private final WriteBatcher batcher;
  private final WorkerExecutor worker;
  private final ConnectionManager connections;
  private final RateLimiter upgradeLimiter;
  private final AtomicInteger pendingHandshakes = new AtomicInteger();
  /** Handshakes in progress by client address: one address cannot take the whole node's budget. */
  private final java.util.concurrent.ConcurrentHashMap<String, AtomicInteger> pendingByAddress =
      new java.util.concurrent.ConcurrentHashMap<>();
  private final io.aegis.server.edge.RequestLimits limits;
  private final GatewayMetrics metrics;
  private final AgentSignaturePolicy signaturePolicy;
  private final NextKeyAnnouncement announcement;
  private final long lastSeenTimer;
  private volatile SessionHandler handler = SessionHandler.NONE;
  private volatile boolean draining;

  public AgentGateway(Vertx vertx, Config config, BackendKeyRing keyRing, AgentRegistry registry,
                      AgentSessions sessions, ConnectionsTable connectionsTable, WriteBatcher batcher,
                      WorkerExecutor worker, MeterRegistry meters, NextKeyAnnouncement announcement,
                      NodeEvents events, Presence presence, io.aegis.server.edge.RequestLimits limits) {
    this.vertx = vertx;
    this.limits = limits;
    this.connections = new ConnectionManager(presence, events);
    this.announcement = announcement;
    this.config = config;
    this.keyRing = keyRing;
    this.handshakeConfig = new ServerHandshake.Config(keyRing, Clock.systemUTC(), new SecureRandom(),
        config.authMaxClockSkew(), config.maxFrameSize());
    this.registry = registry;
    this.sessions = sessions;
    this.connectionsTable = connectionsTable;
    this.batcher = batcher;
    this.worker = worker;
    this.upgradeLimiter = new RateLimiter(config.handshakeRateLimit(), config.handshakeRateLimit() * 2.0, 100_000);
    this.metrics = new GatewayMetrics(meters, connections::size, pendingHandshakes::get);
    this.signaturePolicy = new AgentSignaturePolicy(config.agentSignatures());
    events.listen(this);
    this.lastSeenTimer = vertx.setPeriodic(config.lastSeenFlushInterval().toMillis(), id -> {
      flushLastSeen();
      connections.forgetRevocationsBefore(System.nanoTime() - config.handshakeTimeout().toNanos() - 60_000_000_000L);
    });
  }

  /** Installs the upgrade route on {@code router}. */
  public void mount(Router router) {
    router.get(config.websocketPath()).handler(this::upgrade);
  }

  /** Sets who receives opened sessions and their records (the message router). */
  public void handler(SessionHandler handler) {
    this.handler = handler;
  }

  public ConnectionManager connections() {
    return connections;
  }

  private void upgrade(RoutingContext ctx) {
    HttpServerRequest req = ctx.request();
    String ip = limits.clientAddress(req);
    if (!"websocket".equalsIgnoreCase(req.getHeader("Upgrade"))) {
      refuse(ctx, 400, "bad_request", "expected a WebSocket upgrade");
      return;
    }
    UpgradeRules.Refusal malformed = UpgradeRules.check(req);
    if (malformed != null) {
      if (malformed.status() == 426) {
        ctx.response().putHeader("Sec-WebSocket-Version", UpgradeRules.VERSION);
      }
      refuse(ctx, malformed.status(), malformed.code(), malformed.message());
      return;
    }
    if (draining) {
      refuse(ctx, 503, "unavailable", "this node is shutting down; connect to another");
      return;
    }
    if (!upgradeLimiter.allow(ip)) {
      refuse(ctx, 429, "rate_limited", "too many connection attempts from this address");
      return;
    }
    if (limits.failures().blocked(ip)) {
      refuse(ctx, 429, "rate_limited", "too many failed authentications from this address; retry later");
      return;
    }
    String agentId = req.getHeader("X-Agent-ID");
    String keyHeader = req.getHeader("X-Agent-Public-Key");
    if (agentId == null || keyHeader == null) {
      refuse(ctx, 400, "bad_request", "X-Agent-ID and X-Agent-Public-Key headers are required");
      return;
    }
    String idError = Identifiers.agentIdError(agentId);
    byte[] presented = null;
    if (idError == null) {
      // Only compared with the registered key, which was validated at registration: decoding is
      // enough, and a full parse (a point validation) would cost more than a signature check.
      try {
        presented = StrictBase64.decode(keyHeader, IdentityPublicKey.LENGTH, "X-Agent-Public-Key");
      } catch (IllegalArgumentException e) {
        idError = e.getMessage();
      }
    }
    if (idError != null) {
      refuse(ctx, 400, "bad_request", idError);
      return;
    }
    // A full node still lets an agent replace its own session (it reconnected after a network
    // change before its old session timed out); anyone else is sent elsewhere.
    if (connections.size() >= config.maxSessions() && !connections.isConnected(agentId)) {
      refuse(ctx, 503, "overloaded", "this node holds its maximum number of sessions");
      return;
    }
    AtomicInteger mine = pendingByAddress.computeIfAbsent(ip, k -> new AtomicInteger());
    if (mine.incrementAndGet() > config.maxPendingHandshakesPerAddress()) {
      pendingHandshakeDone(ip, false);
      refuse(ctx, 429, "rate_limited", "too many handshakes in progress from this address; retry shortly");
      return;
    }
    if (pendingHandshakes.incrementAndGet() > config.maxPendingHandshakes()) {
      pendingHandshakeDone(ip);
      refuse(ctx, 503, "overloaded", "too many handshakes in progress; retry shortly");
      return;
    }
    byte[] key = presented;
    long revocationMark = connections.mark(); // before the lookup: see ConnectionManager
    req.pause();
    worker.executeBlocking(() -> registry.activeIdentityKey(agentId), false).onComplete(ar -> {
      if (ar.failed()) {
        pendingHandshakeDone(ip);
        log.error("agent_id={} registry lookup failed: {}", agentId, ar.cause().getMessage());
        refuse(ctx, 503, "unavailable", "the store is unavailable; retry later");
        return;
      }
      Optional<IdentityPublicKey> registered = ar.result();
      if (registered.isEmpty() || !MessageDigest.isEqual(registered.get().encoded(), key)) {
        pendingHandshakeDone(ip);
        limits.failures().failed(ip);
        log.info("agent_id={} upgrade refused from {}: {}", agentId, ip,
            registered.isEmpty() ? "unknown or inactive agent" : "public key differs from the registered key");
        metrics.refused("authentication_failed");
        // The same bytes for unknown, inactive and mismatched agents: the handshake's failure frame.
        ctx.response().setStatusCode(401).putHeader("Content-Type", "application/json")
            .end(ServerHandshake.FAILURE_FRAME);
        return;
      }
      CloseCodeCheck.install(req);
      req.toWebSocket().onComplete(wsr -> {
        if (wsr.failed()) {
          pendingHandshakeDone(ip);
          log.debug("agent_id={} upgrade failed: {}", agentId, wsr.cause().toString());
          return;
        }
        // The upgrade's headers (read above) would otherwise stay on the heap for the session's
        // life: about 1 KiB of every idle session.
        wsr.result().headers().clear();
        DirectWrites.install(wsr.result());
        new AgentSession(this, wsr.result(), vertx.getOrCreateContext(), agentId, registered.get(), ip,
            revocationMark).start();
      });
      req.resume();
    });
  }

  private void refuse(RoutingContext ctx, int status, String code, String message) {
    metrics.refused(code);
    var response = ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json");
    if (status == 503 || status == 429) {
      response.putHeader("Retry-After", "5");
    }
    response.end(io.vertx.core.buffer.Buffer.buffer(ApiJson.error(code, message)));
  }

  /**
   * Sends the next backend key's announcement (PROTOCOL.md §10.3), if a next key is configured:
   * a {@code backend_key} broadcast on {@code control} signed by the current key, the one the
   * HTTP transport sends too ({@link NextKeyAnnouncement}).
   */
  void announceNextBackendKey(AgentSession session) {
    announcement.current().ifPresent(a -> session.send(a, Map.of()));
  }

  /**
   * The label of {@code aegis_handshakes_by_backend_key_total} for the backend key id an agent's
   * hello asked for: the key id if this node holds that key, else {@code other} (so that clients
   * cannot grow the label set).
   */
  String backendKeyLabel(byte[] askedKeyId) {
    IdentityKeyPair next = keyRing.next();
    if (java.util.Arrays.equals(keyRing.current().publicKey().keyId(), askedKeyId)) {
      return keyRing.current().publicKey().keyIdHex();
    }
    if (next != null && java.util.Arrays.equals(next.publicKey().keyId(), askedKeyId)) {
      return next.publicKey().keyIdHex();
    }
    return "other";
  }

  /** Writes the last-seen times of every live session in batches (not one write per heartbeat). */
  private void flushLastSeen() {
    List<Map.Entry<String, Instant>> seen = new ArrayList<>();
    for (AgentSession s : connections.all()) {
      seen.add(Map.entry(s.agentId(), s.lastHeard()));
      if (seen.size() == 500) {
        submitLastSeen(seen);
        seen = new ArrayList<>();
      }
    }
    if (!seen.isEmpty()) {
      submitLastSeen(seen);
    }
  }

  private void submitLastSeen(List<Map.Entry<String, Instant>> seen) {
    batcher.submit(c -> {
      connectionsTable.lastSeen(c, seen);
      return null;
    }).exceptionally(e -> {
      log.warn("could not record last-seen times: {}", e.getMessage());
      return null;
    });
  }

  // ------------------------------------------------------------------ the cluster's events

  @Override
  public void onAgentRevoked(String agentId, Revocation why) {
    // A session authenticated with a rotated-away key is not revoked: the agent handshakes again
    // with its new key (4002 tells it to).
    connections.revoke(agentId, why == Revocation.KEY_ROTATED ? CloseCode.SESSION_EXPIRED : CloseCode.REVOKED);
  }

  @Override
  public void onSessionOpened(String agentId, Transport transport, String nodeId, long openedAtMillis) {
    // On this node, registering the new session already replaced the old one.
    if (transport == Transport.WEBSOCKET && !nodeId.equals(config.nodeId())) {
      connections.replaceIfOlder(agentId, openedAtMillis);
    }
  }

  // ------------------------------------------------------------------ for sessions

  Vertx vertx() {
    return vertx;
  }

  Config config() {
    return config;
  }

  ServerHandshake.Config handshakeConfig() {
    return handshakeConfig;
  }

  AgentSignaturePolicy signaturePolicy() {
    return signaturePolicy;
  }

  AgentSessions sessions() {
    return sessions;
  }

  ConnectionsTable connectionsTable() {
    return connectionsTable;
  }

  WriteBatcher batcher() {
    return batcher;
  }

  GatewayMetrics metrics() {
    return metrics;
  }

  SessionHandler handler() {
    return handler;
  }

  /** A handshake from {@code ip} ended (established, failed or abandoned). */
  void pendingHandshakeDone(String ip) {
    pendingHandshakeDone(ip, true);
  }

  private void pendingHandshakeDone(String ip, boolean nodeWide) {
    if (nodeWide) {
      pendingHandshakes.decrementAndGet();
    }
    pendingByAddress.computeIfPresent(ip, (k, n) -> n.decrementAndGet() <= 0 ? null : n);
  }

  /** A handshake from {@code ip} failed to authenticate the agent. */
  void authenticationFailed(String ip) {
    limits.failures().failed(ip);
  }

  /**
   * Drains this node: no upgrade is accepted from now on (503, "connect to another"), and every
   * live session is closed with 4009 (reconnect elsewhere, soon), spread evenly over
   * {@code period}: the i-th of n sessions (in random order) at {@code (i + ½) × period / n},
   * checked every {@value #DRAIN_STEP_MILLIS} ms, so that the other nodes take the agents at a
   * steady rate rather than all at once. Completes when no session is left, or
   * {@value #DRAIN_GRACE_MILLIS} ms after the period when some close never completes.
   */
  public java.util.concurrent.CompletableFuture<Void> drain(java.time.Duration period) {
    draining = true;
    java.util.concurrent.CompletableFuture<Void> done = new java.util.concurrent.CompletableFuture<>();
    List<AgentSession> queue = new ArrayList<>(connections.all());
    java.util.Collections.shuffle(queue);
    int n = queue.size();
    long periodMillis = Math.max(1, period.toMillis());
    long started = System.currentTimeMillis();
    long deadline = started + period.toMillis() + DRAIN_GRACE_MILLIS;
    if (n > 0) {
      log.info("draining {} sessions over {} ms", n, period.toMillis());
    }
    int[] closed = {0};
    Runnable step = () -> {
      long elapsed = System.currentTimeMillis() - started;
      int due = (int) Math.min(n, (elapsed * n * 2 / periodMillis + 1) / 2); // sessions whose time has come
      while (closed[0] < due) {
        queue.get(closed[0]++).close(CloseCode.DRAINING);
      }
      if (closed[0] == n) {
        // Sessions that opened while the drain began (their handshake was under way) go too.
        connections.closeAll(CloseCode.DRAINING);
        if (connections.size() == 0) {
          done.complete(null);
        }
      }
      if (System.currentTimeMillis() > deadline) {
        done.complete(null);
      }
    };
    step.run();
    if (!done.isDone()) {
      vertx.setPeriodic(DRAIN_STEP_MILLIS, id -> {
        step.run();
        if (done.isDone()) {
          vertx.cancelTimer(id);
        }
      });
    }
    return done;
  }

  private static final long DRAIN_STEP_MILLIS = 100;
  private static final long DRAIN_GRACE_MILLIS = 5000;

  /** Whether this node refuses new sessions because it drains. */
  public boolean draining() {
    return draining;
  }

  @Override
  public void close() {
    vertx.cancelTimer(lastSeenTimer);
    draining = true;
    connections.closeAll(CloseCode.DRAINING);
    flushLastSeen();
  }

  /** For log lines that need a fresh id. */
  static String newId() {
    return UUID.randomUUID().toString();
  }
}
