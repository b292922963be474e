package io.aegis.server;

import io.aegis.server.api.ApiRouter;
import io.aegis.server.api.RouteSpec;
import io.aegis.server.artifact.ArtifactRoutes;
import io.aegis.server.artifact.ArtifactStore;
import io.aegis.server.api.RateLimiter;
import io.aegis.server.auth.AgentAuthentication;
import io.aegis.server.auth.AgentSessions;
import io.aegis.server.auth.AuthRoutes;
import io.aegis.server.auth.BackendIdentity;
import io.aegis.server.auth.OperatorTokens;
import io.aegis.server.auth.TokenAuthenticator;
import io.aegis.server.config.Config;
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
import io.aegis.server.registry.KeyRotationRoutes;
import io.aegis.server.gateway.AgentGateway;
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
  private final HttpServer http;
  private final List<RouteSpec> routes;
  private final Optional<String> initialOperatorToken;
  private final PolicyStore policies;
  private final ArtifactStore artifacts;
  private final EventStore events;
  private final BackendIdentity identity;
  private final AgentRegistry registry;
  private final WriteBatcher batcher;
  private final AgentGateway gateway;
  private final TlsReloader tls;
  private final AtomicBoolean draining = new AtomicBoolean();

  private AegisServer(Config config) {
    this.config = config;
    this.database = Database.open(config);
    try {
      this.observability = new Observability(config.nodeId());
      this.vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
      this.worker = vertx.createSharedWorkerExecutor("aegis-blocking", config.blockingPoolSize());

      OperatorTokens operatorTokens = new OperatorTokens(database, config.adminToken());
      this.initialOperatorToken = operatorTokens.createInitialIfNeeded();
      AgentSessions sessions = new AgentSessions(database, config.sessionTimeout());
      this.identity = BackendIdentity.loadOrCreate(config);
      this.registry = new AgentRegistry(database, sessions);

      Router router = Router.router(vertx);
      HealthRoutes.mount(router, observability, database, worker, draining::get);
      ApiRouter api = new ApiRouter(router, new TokenAuthenticator(operatorTokens, sessions),
          worker, observability.registry(), config.maxBodySize());
      this.batcher = new WriteBatcher(database, "sessions", 256, 100_000, observability.registry());
      ConnectionsTable connectionsTable = new ConnectionsTable(database, config.connectionsTable());
      database.transaction(c -> connectionsTable.clearNode(c, config.nodeId(), java.time.Instant.now()));
      this.gateway = new AgentGateway(vertx, config, identity.keyRing(), registry, sessions, connectionsTable,
          batcher, worker, observability.registry());
      gateway.mount(router);
      new StatusRoutes(registry, gateway.connections(), connectionsTable, agentId -> java.util.List.of()).mount(api);
      new AgentRoutes(registry).mount(api);
      new KeyRotationRoutes(registry, config.authMaxClockSkew()).mount(api);
      new EnrollmentRoutes(new EnrollmentTokens(database, registry)).mount(api);
      new AuthRoutes(new AgentAuthentication(database, registry, sessions, config.authMaxClockSkew()),
          new RateLimiter(config.authRateLimit(), config.authRateLimit() * 2, 100_000)).mount(api);
      this.policies = new PolicyStore(database);
      this.artifacts = new ArtifactStore(database);
      this.events = new EventStore(database);
      new PolicyRoutes(policies).mount(api);
      new ArtifactRoutes(artifacts, config.artifactMaxContentSize()).mount(api);
      new EventRoutes(events).mount(api);
      api.finish();
      this.routes = api.routes();

      HttpServerOptions options = new HttpServerOptions()
          .setHost(config.bindAddress())
          .setPort(config.port())
          .setCompressionSupported(false)
          .setMaxWebSocketFrameSize(config.maxFrameSize())
          .setMaxWebSocketMessageSize(config.maxFrameSize());
      if (config.readBufferSize() > 0) {
        options.setReceiveBufferSize(config.readBufferSize());
      }
      if (config.writeBufferSize() > 0) {
        options.setSendBufferSize(config.writeBufferSize());
      }
      this.tls = TlsReloader.configure(vertx, config, observability.registry(), options);
      this.http = await(vertx.createHttpServer(options).requestHandler(router).listen(), "listen on "
          + config.bindAddress() + ":" + config.port());
      tls.watch(http);
    } catch (RuntimeException e) {
      database.close();
      throw e;
    }
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
    return http.actualPort();
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

  /** Every REST route, for the OpenAPI completeness check. */
  public List<RouteSpec> routes() {
    return routes;
  }

  /**
   * Drains and stops the node: /readyz turns 503, the listener closes, in-flight requests
   * finish, then the store closes. Idempotent.
   */
  @Override
  public void close() {
    if (!draining.compareAndSet(false, true)) {
      return;
    }
    log.info("gateway node {} shutting down", config.nodeId());
    try {
      // Agents first: they are told to reconnect elsewhere (1001) while the listener still answers.
      gateway.close();
      tls.close();
      await(http.close(), "close the HTTP listener");
      batcher.close();
      worker.close();
      await(vertx.close(), "stop the event loops");
    } catch (RuntimeException e) {
      log.warn("unclean shutdown: {}", e.getMessage());
    } finally {
      observability.close();
      database.close();
    }
  }
}
