package io.aegis.server;

import io.aegis.server.api.ApiRouter;
import io.aegis.server.api.OpenApiRoutes;
import io.aegis.server.api.RouteSpec;
import io.aegis.server.artifact.ArtifactRoutes;
import io.aegis.server.artifact.ArtifactStore;
import io.aegis.server.edge.AuthFailures;
import io.aegis.server.edge.ClientAddresses;
import io.aegis.server.edge.ConnectionGuard;
import io.aegis.server.edge.RateLimiter;
import io.aegis.server.edge.RequestLimits;
import io.aegis.server.auth.AgentAuthentication;
import io.aegis.server.auth.AgentSessions;
import io.aegis.server.auth.NextKeyAnnouncement;
import io.aegis.server.auth.AuthRoutes;
import io.aegis.server.auth.BackendIdentity;
import io.aegis.server.audit.AuditLog;
import io.aegis.server.audit.AuditRoutes;
import io.aegis.server.auth.OperatorTokens;
import io.aegis.server.auth.RecordKeyVault;
import io.aegis.server.auth.UsedNonces;
import io.aegis.server.auth.TokenAuthenticator;
import io.aegis.server.cluster.Cluster;
import io.aegis.server.cluster.NodeEvents;
import io.aegis.server.cluster.NodeRoutes;
import io.aegis.server.config.Config;
import io.aegis.server.console.Console;
import io.aegis.server.event.EventRoutes;
import io.aegis.server.event.EventStore;
import io.aegis.server.observability.HealthRoutes;
import io.aegis.server.observability.Observability;
import io.aegis.server.policy.PolicyRoutes;
import io.aegis.server.policy.PolicyStore;
import io.aegis.server.registry.AgentRegistry;
import io.aegis.server.registry.AgentRoutes;
import io.aegis.server.registry.EnrollmentRoutes;
import io.aegis.server.registry.EnrollmentTokens;
import io.aegis.server.artifact.ArtifactsChannel;
import io.aegis.server.delivery.DeliveryEngine;
import io.aegis.server.delivery.IdempotencyKeys;
import io.aegis.server.delivery.MessageQueue;
import io.aegis.server.delivery.MessageRoutes;
import io.aegis.server.delivery.Recipients;

import io.aegis.server.delivery.SendService;
import io.aegis.server.event.EventsChannel;
import io.aegis.server.registry.KeyRotationRoutes;
import io.aegis.server.gateway.AgentGateway;
import io.aegis.server.policy.PolicyChannel;
import io.aegis.server.polling.Polling;
import io.aegis.server.push.ArtifactPush;
import io.aegis.server.push.CatchUp;
import io.aegis.server.push.PolicyPush;
import io.aegis.server.push.SyncState;
import io.aegis.server.routing.ChannelRoutes;
import io.aegis.server.routing.MessageRouter;
import io.aegis.server.routing.Subscriptions;
import io.aegis.server.gateway.ConnectionsTable;
import io.aegis.server.gateway.StatusRoutes;
import io.aegis.server.store.Database;
import io.aegis.server.store.WriteBatcher;
import io.aegis.server.tls.TlsReloader;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One gateway node: the store, the REST API and (with later components) the agent WebSocket
 * endpoint, all on one HTTP port. {@link #start} returns once the node listens; {@link #close}
 * drains it. Used by {@code bin/aegis serve} and by the tests, which start real nodes on port 0.
 */
public final class AegisServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AegisServer.class);

  private final Config config;
  private final Database database;
  private final Observability observability;
  private final Vertx vertx;
  private final WorkerExecutor worker;
  private final List<HttpServer> listeners;
  private final int eventLoops;
  private final List<RouteSpec> routes;
  private final Optional<String> initialOperatorToken;
  private final PolicyStore policies;
  private final ArtifactStore artifacts;
  private final EventStore events;
  private final BackendIdentity identity;
  private final AgentRegistry registry;
  private final WriteBatcher batcher;
  private final AuditLog audit;
  private final DeliveryEngine delivery;
  private final MessageRouter messageRouter;
  private final AgentGateway gateway;
  private final Polling polling;
  private final TlsReloader tls;
  private final ConnectionGuard guard;
  private final Cluster cluster;
  private final AtomicBoolean draining = new AtomicBoolean();
  private final java.util.concurrent.CompletableFuture<Void> closed = new java.util.concurrent.CompletableFuture<>();
  private volatile String address = "";

  private AegisServer(Config config) {
    this.config = config;
    // The key files are checked before anything else, so a refused key leaves nothing behind.
    this.identity = BackendIdentity.loadOrCreate(config);
    this.database = Database.open(config);
    Observability metrics = null;
    Vertx started = null;
    Cluster joined = null;
    try {
      this.observability = metrics = new Observability(config.nodeId());
      this.eventLoops = config.eventLoops();
      this.vertx = started = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true)
          .setEventLoopPoolSize(eventLoops));
      vertx.exceptionHandler(observability.unhandledExceptions());
      this.worker = vertx.createSharedWorkerExecutor("aegis-blocking", config.blockingPoolSize());
      this.cluster = joined = config.redisUrl().isPresent()
          ? Cluster.redis(config, vertx, database, observability.registry(), () -> address)
          : Cluster.local(config, database);
      // An operator asked this node to drain through another node: drain and stop, off the event loop.
      cluster.events().listen(new NodeEvents.Listener() {
        @Override
        public void onDrainRequested(String nodeId) {
          if (nodeId.equals(config.nodeId())) {
            drainInBackground();
          }
        }
      });

      OperatorTokens operatorTokens = new OperatorTokens(database, config.adminToken());
      AgentSessions sessions = new AgentSessions(database, config.sessionTimeout());
      this.registry = new AgentRegistry(database, sessions);

      Router router = Router.router(vertx);
      HealthRoutes.mount(router, observability, database, worker, draining::get, config.nodeId(), cluster::health);
      ClientAddresses clientAddresses = ClientAddresses.trusting(config.trustedProxies());
      RequestLimits limits = new RequestLimits(clientAddresses, new AuthFailures(config.authFailureRateLimit()),
          config.operatorRateLimit(), config.agentRateLimit(), observability.registry());
      this.guard = new ConnectionGuard(vertx, clientAddresses, config.httpHeaderTimeout(), config.httpBodyTimeout(),
          config.httpIdleTimeout(), config.maxConnectionsPerAddress(), observability.registry());
      ApiRouter api = new ApiRouter(router, new TokenAuthenticator(operatorTokens, sessions),
          worker, observability.registry(), config.maxBodySize(), limits,
          agentId -> registry.find(agentId).map(io.aegis.server.registry.Agent::labels));
      this.batcher = new WriteBatcher(database, "sessions", 256, 100_000, observability.registry());
      this.audit = new AuditLog(database, batcher, config.nodeId(), config.requestDeadline(),
          observability.registry());
      api.auditor(audit);
      audit.signEvery(vertx, identity.keyRing(), config.auditSignInterval());
      new AuditRoutes(audit, database).mount(api);
      ConnectionsTable connectionsTable = new ConnectionsTable(database, config.connectionsTable());
      database.transaction(c -> connectionsTable.clearNode(c, config.nodeId(), java.time.Instant.now()));
      NextKeyAnnouncement announcement = new NextKeyAnnouncement(identity.keyRing());
      this.gateway = new AgentGateway(vertx, config, identity.keyRing(), registry, sessions, connectionsTable,
          batcher, worker, observability.registry(), announcement, cluster.events(), cluster.presence(), limits);
      gateway.mount(router);
      Subscriptions subscriptions = new Subscriptions(database);
      new StatusRoutes(registry, gateway.connections(), connectionsTable, subscriptions::subscribed,
          cluster.presence()).mount(api);
      new io.aegis.server.auth.OperatorTokenRoutes(operatorTokens).mount(api);
      new NodeRoutes(cluster, config.nodeId(), this::drainInBackground).mount(api);
      new AgentRoutes(registry).mount(api);
      new KeyRotationRoutes(registry, config.authMaxClockSkew()).mount(api);
      new EnrollmentRoutes(new EnrollmentTokens(database, registry),
          new RateLimiter(config.enrollRateLimit(), config.enrollRateLimit() * 2, 100_000)).mount(api);
      UsedNonces nonces = new UsedNonces(database);
      RecordKeyVault recordKeys = new RecordKeyVault(identity.keyRing());
      AgentAuthentication authentication = new AgentAuthentication(nonces, registry, sessions,
          config.authMaxClockSkew(), identity.keyRing(), recordKeys, config.maxFrameSize(), observability.registry());
      new AuthRoutes(authentication,
          new RateLimiter(config.authRateLimit(), config.authRateLimit() * 2, 100_000), identity).mount(api);
      this.policies = new PolicyStore(database);
      this.artifacts = new ArtifactStore(database, batcher, config.requestDeadline());
      this.events = new EventStore(database);
      new PolicyRoutes(policies).mount(api);

      MessageQueue queue = new MessageQueue(database, config.messageQueueTable());
      this.delivery = new DeliveryEngine(vertx, config, queue, batcher, worker, observability.registry());
      IdempotencyKeys idempotencyKeys = new IdempotencyKeys(database, config.idempotencyWindow());
      idempotencyKeys.purgeEvery(vertx, batcher, Duration.ofMinutes(1));
      SendService sender = new SendService(config, identity.keyRing(), registry, queue, batcher, delivery,
          idempotencyKeys);
      MessageRouter agentRouter = new MessageRouter(delivery, subscriptions, batcher, worker);
      this.polling = new Polling(vertx, worker, config, sessions, recordKeys, nonces, registry, queue, delivery,
          agentRouter, batcher, announcement, cluster.events(), cluster.presence());
      polling.mount(api);
      cluster.relay(delivery, registry, policies, artifacts, authentication);
      Recipients recipients = new Recipients(database, config, cluster.presence());
      io.aegis.server.delivery.Approvals approvals = new io.aegis.server.delivery.Approvals(database, config);
      approvals.expireEvery(vertx, batcher, Duration.ofMinutes(1));
      new MessageRoutes(config, sender, queue, batcher, delivery, recipients, registry, idempotencyKeys, approvals,
          operatorTokens::active)
          .mount(api);
      agentRouter.register("events", new EventsChannel(events));
      agentRouter.register("policy", new PolicyChannel(policies));
      agentRouter.register("artifacts", new ArtifactsChannel(artifacts));
      SyncState sync = new SyncState(database);
      PolicyPush policyPush = new PolicyPush(database, policies, sender, queue, sync, worker,
          gateway.connections(), cluster.events());
      ArtifactPush artifactPush = new ArtifactPush(artifacts, sender, sync, worker, gateway.connections(),
          cluster.events());
      agentRouter.addSessionListener(policyPush);
      agentRouter.addSessionListener(new CatchUp(sync, policyPush, artifactPush, worker));
      delivery.addListener(policyPush);
      delivery.addListener(artifactPush);
      gateway.handler(agentRouter);
      this.messageRouter = agentRouter;
      new ChannelRoutes(subscriptions).mount(api);
      new ArtifactRoutes(artifacts, config.artifactMaxContentSize()).mount(api);
      new EventRoutes(events).mount(api);
      Console.mount(router, api, config, database, cluster.presence());
      OpenApiRoutes.mount(api);
      api.finish();
      this.routes = api.routes();

      HttpServerOptions options = new HttpServerOptions()
          .setHost(config.bindAddress())
          .setPort(config.port())
          .setCompressionSupported(false)
          // Every write to a connection already happens on its event loop (AgentSession and
          // ApiRouter hop there), so Vert.x may skip its cross-thread write queue: that queue is
          // a multi-producer array of ~4 KiB per connection, half the heap of an idle session.
          .setStrictThreadMode(true)
          // No WebSocket extension is offered: records are encrypted (compression gains nothing and
          // would leak lengths), and without one a frame with RSV1-3 set fails the connection
          // (RFC 6455 §5.2) instead of being taken for a compressed frame.
          .setPerMessageWebSocketCompressionSupported(false)
          .setPerFrameWebSocketCompressionSupported(false)
          .setMaxWebSocketFrameSize(config.maxFrameSize())
          .setMaxWebSocketMessageSize(config.maxFrameSize())
          // Without cleartext HTTP/2 detection a connection is handed to the ConnectionGuard as soon
          // as it opens, not when its first bytes arrive: one that never sends is closed in time.
          .setHttp2ClearTextEnabled(false)
          // Nothing read or written for this long: closed (a WebSocket pings every heartbeat).
          .setIdleTimeout((int) Math.max(1, config.httpIdleTimeout().toSeconds()))
          .setIdleTimeoutUnit(TimeUnit.SECONDS);
      if (config.readBufferSize() > 0) {
        options.setReceiveBufferSize(config.readBufferSize());
      }
      if (config.writeBufferSize() > 0) {
        options.setSendBufferSize(config.writeBufferSize());
      }
      this.tls = TlsReloader.configure(vertx, config, observability.registry(), options);
      this.listeners = listen(options, router);
      this.address = config.bindAddress() + ":" + listeners.get(0).actualPort();
      tls.watch(listeners);
      // Last, once nothing can fail: a token created by a start that then failed would never be shown.
      this.initialOperatorToken = operatorTokens.createInitialIfNeeded();
    } catch (RuntimeException e) {
      if (joined != null) {
        joined.close();
      }
      if (started != null) {
        // Vert.x threads are not daemons: a failed start must not keep the JVM alive.
        started.close();
      }
      if (metrics != null) {
        metrics.close();
      }
      database.close();
      throw e;
    }
  }

  /**
   * One listener per event loop on the same port: Vert.x shares the socket and spreads new
   * connections over them, so sessions (handshake crypto, record sealing) use every core rather
   * than the one event loop a single server would run on.
   */
  private List<HttpServer> listen(HttpServerOptions options, Router router) {
    // A negative port is Vert.x's "random port, shared by every listener that asks for it": the
    // listeners of WEBSOCKET_PORT=0 then all get the same port.
    HttpServerOptions shared = new HttpServerOptions(options).setPort(config.port() == 0 ? -1 : config.port());
    List<HttpServer> servers = new java.util.ArrayList<>();
    for (int i = 0; i < eventLoops; i++) {
      servers.add(await(vertx.createHttpServer(shared).connectionHandler(guard::onConnection)
              .requestHandler(guard.wrap(router)).listen(),
          "listen on " + config.bindAddress() + ":" + config.port()));
    }
    return List.copyOf(servers);
  }

  /** Starts a node and returns once it listens. */
  public static AegisServer start(Config config) {
    AegisServer server = new AegisServer(config);
    log.info("gateway node {} listening on {}:{}", config.nodeId(), config.bindAddress(), server.port());
    return server;
  }

  private static <T> T await(io.vertx.core.Future<T> future, String what) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException("cannot " + what + ": " + e.getCause().getMessage(), e.getCause());
    } catch (java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("timed out trying to " + what, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted trying to " + what, e);
    }
  }

  /** The port actually bound (useful with {@code WEBSOCKET_PORT=0}). */
  public int port() {
    return listeners.get(0).actualPort();
  }

  /** {@code http://host:port} or {@code https://host:port}. */
  public String baseUrl() {
    String host = config.bindAddress().equals("0.0.0.0") ? "127.0.0.1" : config.bindAddress();
    return (config.tls().isPresent() ? "https://" : "http://") + host + ":" + port();
  }

  public Config config() {
    return config;
  }

  public Database database() {
    return database;
  }

  /** The backend's identity key pair (agents pin its public half). */
  public BackendIdentity identity() {
    return identity;
  }

  /** The agent registry; its listeners hear of deactivations and label changes. */
  public AgentRegistry registry() {
    return registry;
  }

  /** Versioned policies; {@link PolicyStore#onChange} is the hook for pushing policy changes. */
  public PolicyStore policies() {
    return policies;
  }

  /** Artifacts; {@link ArtifactStore#onPublish} is the hook for pushing new artifacts. */
  public ArtifactStore artifacts() {
    return artifacts;
  }

  /** The event store; {@link EventStore#append} is what the WebSocket events channel calls. */
  public EventStore events() {
    return events;
  }

  /** The operator token created by this start, if it created one; shown once, never stored in clear. */
  public Optional<String> initialOperatorToken() {
    return initialOperatorToken;
  }

  /** The agent WebSocket endpoint and its live sessions. */
  public AgentGateway gateway() {
    return gateway;
  }

  /** The message router: register handlers for agent→backend channels here. */
  public MessageRouter messageRouter() {
    return messageRouter;
  }

  /** Reliable delivery of queued messages to this node's sessions. */
  public DeliveryEngine delivery() {
    return delivery;
  }

  /** Every REST route, for the OpenAPI completeness check. */
  public List<RouteSpec> routes() {
    return routes;
  }

  /** Drains and stops this node on a thread of its own (an operator asked, here or through another node). */
  private void drainInBackground() {
    if (!draining.get()) {
      new Thread(this::close, "aegis-drain").start();
    }
  }

  /** How this node hears the cluster: single, ok or degraded (as /readyz says). */
  public String clusterHealth() {
    return cluster.health();
  }

  /**
   * Makes SIGTERM drain this node (as {@link #close} does) instead of starting the JVM's
   * shutdown: a process manager's stop is then a normal end, and the process can exit 0 once
   * {@link #closed} completes. Ctrl-C (SIGINT) and other exits still run the shutdown hooks.
   */
  public void drainOnSigterm() {
    sun.misc.Signal.handle(new sun.misc.Signal("TERM"), signal -> drainInBackground());
  }

  /** Completes once the node has stopped, however it was asked to (SIGTERM, a drain request, {@link #close}). */
  public java.util.concurrent.CompletableFuture<Void> closed() {
    return closed;
  }

  /**
   * Drains and stops the node: /readyz turns 503 at once and the cluster lists it as draining; no
   * new session or long poll is accepted; its agents are asked to reconnect elsewhere (4009),
   * spread over {@code AEGIS_DRAIN_PERIOD}; in-flight requests and commits finish; it leaves the
   * cluster; then the store closes. Idempotent: a second caller waits for the first drain.
   */
  @Override
  public void close() {
    if (!draining.compareAndSet(false, true)) {
      closed.join();
      return;
    }
    log.info("gateway node {} draining over {} ms, then stopping", config.nodeId(), config.drainPeriod().toMillis());
    try {
      cluster.draining();
      polling.drain();
      try {
        gateway.drain(config.drainPeriod()).get(config.drainPeriod().toMillis() + 10_000, TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
        log.warn("not every session closed within the drain period; stopping anyway");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      gateway.close();
      delivery.close();
      tls.close();
      for (HttpServer listener : listeners) {
        // Requests under way are answered; idle connections close.
        await(listener.shutdown(5, TimeUnit.SECONDS), "close the HTTP listener");
      }
      // The last requests' entries signed now, not left to the next node's interval.
      try {
        audit.signNow(identity.keyRing()).get(5, TimeUnit.SECONDS);
      } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
        log.warn("could not sign the audit log's head before stopping: {}", String.valueOf(e.getCause()));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      batcher.close();
      cluster.close();
      worker.close();
      await(vertx.close(), "stop the event loops");
      log.info("gateway node {} stopped", config.nodeId());
    } catch (RuntimeException e) {
      log.warn("unclean shutdown: {}", e.getMessage());
    } finally {
      observability.close();
      database.close();
      closed.complete(null);
    }
  }
}
