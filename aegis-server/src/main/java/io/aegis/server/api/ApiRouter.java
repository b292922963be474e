package io.aegis.server.api;

import io.aegis.server.edge.RequestLimits;
import io.aegis.server.store.StoreException;
import io.aegis.server.store.WriteBatcher;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Mounts REST endpoints on a Vert.x router with the behaviour every endpoint shares: a body size
 * limit, bearer-token authentication and access checks, execution on a worker pool (endpoints
 * may block on the store), JSON error bodies for every failure, and request metrics by route and
 * status.
 *
 * <p>Register every route before the server starts; not thread-safe during registration.
 */
public final class ApiRouter {
  private static final Logger log = LoggerFactory.getLogger(ApiRouter.class);

  private final Router router;
  private final Authenticator authenticator;
  private final WorkerExecutor worker;
  private final MeterRegistry metrics;
  private final Counter storeFailures;
  private final List<RouteSpec> routes = new ArrayList<>();
  private final RouteTable table = new RouteTable();
  private final RequestLimits limits;
  private final java.util.Set<String> bodiless = OpenApiRoutes.bodilessOperations();
  private final AgentLabels agentLabels;
  private volatile Auditor auditor = Auditor.NONE;
  private static final String CALLER = "aegis.caller";
  private static final String AUDIT = "aegis.audit";

  public ApiRouter(Router router, Authenticator authenticator, WorkerExecutor worker,
                   MeterRegistry metrics, long maxBodySize, RequestLimits limits, AgentLabels agentLabels) {
    this.router = router;
    this.agentLabels = agentLabels;
    this.limits = limits;
    this.authenticator = authenticator;
    this.worker = worker;
    this.metrics = metrics;
    this.storeFailures = WriteBatcher.storeErrors(metrics, "api", "request_failed");
    router.route("/api/*").handler(ctx -> {
      ctx.response()
          .putHeader("Cache-Control", "no-store")
          .putHeader("X-Content-Type-Options", "nosniff");
      // An address that failed to authenticate too often is not heard until its budget refills,
      // whatever it presents now (a token, an enrollment token, an auth request).
      if (limits.failures().blocked(limits.clientAddress(ctx.request()))) {
        limits.refused("auth_failures");
        sendError(ctx, 429, "rate_limited", "too many failed authentications from this address; retry later");
        return;
      }
      ctx.next();
    });
    router.route("/api/*").handler(BodyHandler.create(false).setBodyLimit(maxBodySize));
    router.route("/api/*").handler(table::dispatch);
  }

  /**
   * Registers {@code endpoint} at {@code path} (Vert.x syntax, {@code /api/v1/agents/:agent_id}).
   */
  public void route(HttpMethod method, String path, Access access, Endpoint endpoint) {
    String template = register(method, path, access);
    boolean takesNoBody = bodiless.contains(method.name() + " " + template);
    mount(method, path, ctx -> {
      long start = System.nanoTime();
      ctx.addEndHandler(v -> record(ctx, method, path, start));
      io.vertx.core.Context context = ctx.vertx().getOrCreateContext();
      worker.<Reply>executeBlocking(() -> endpoint.handle(admit(ctx, template, access, takesNoBody, context)), false)
          .onComplete(ar -> answer(ctx, template, context, ar.result(), ar.cause()));
    });
  }

  /** In the route table, which takes what it can match exactly, and in Vert.x's router, which takes the rest. */
  private void mount(HttpMethod method, String path, io.vertx.core.Handler<RoutingContext> handler) {
    table.add(method, path, handler);
    router.route(method, path).handler(handler);
  }

  /**
   * Registers an endpoint whose answer comes later (it waits on a commit or on an agent): it runs
   * on a worker like any endpoint, but returns a future, so no thread is held while it waits.
   */
  public void routeAsync(HttpMethod method, String path, Access access, AsyncEndpoint endpoint) {
    String template = register(method, path, access);
    boolean takesNoBody = bodiless.contains(method.name() + " " + template);
    mount(method, path, ctx -> {
      long start = System.nanoTime();
      ctx.addEndHandler(v -> record(ctx, method, path, start));
      io.vertx.core.Context context = ctx.vertx().getOrCreateContext();
      worker.<java.util.concurrent.CompletionStage<Reply>>executeBlocking(
          () -> endpoint.handle(admit(ctx, template, access, takesNoBody, context)), false).onComplete(ar -> {
        if (ar.failed()) {
          answer(ctx, template, context, null, ar.cause());
          return;
        }
        ar.result().whenComplete((reply, err) -> context.runOnContext(v -> answer(ctx, template, context, reply,
            err instanceof java.util.concurrent.CompletionException && err.getCause() != null ? err.getCause() : err)));
      });
    });
  }

  /** Where every state-changing operator request is reported before it is answered (the audit log). */
  public void auditor(Auditor auditor) {
    this.auditor = auditor;
  }

  /**
   * Answers with {@code reply} or {@code failure}, on the request's context. A state-changing
   * request of an operator token is first reported to the auditor, whatever its outcome, and
   * answered once the report is durable: an action the client saw succeed is in the audit log.
   */
  private void answer(RoutingContext ctx, String template, io.vertx.core.Context context, Reply reply,
                      Throwable failure) {
    ApiException refusal = failure == null ? null : failure instanceof ApiException e ? e
        : failure instanceof StoreException ? ApiException.unavailable("store") : new ApiException(500, "internal_error", "");
    // Not recorded: a client gone, and a request the store could not take (503, 504): nothing was
    // done, and the store that failed it would not take its entry either (writing one would only
    // queue more work on a store in trouble).
    boolean unserved = refusal != null && (refusal.status() == 503 || refusal.status() == 504);
    if (ctx.get(CALLER) instanceof Caller.Operator op && ctx.request().method() != HttpMethod.GET && !unserved
        && !(failure instanceof io.vertx.core.http.HttpClosedException)) {
      AuditTicket ticket = ctx.get(AUDIT);
      if (ticket == null) { // refused before the endpoint ran
        ticket = ticket(ctx, op, template);
      }
      if (failure == null && ticket.recordedAs(reply.status())) {
        deliver(ctx, reply, null); // written in the endpoint's own commit
        return;
      }
      byte[] answer = reply == null || reply.body() == null ? null
          : reply.body() instanceof byte[] b ? b : ApiJson.write(reply.body());
      // Serialized once, for the log and for the client.
      Reply serialized = answer == null ? reply
          : new Reply(reply.status(), answer, reply.contentType(), reply.headers());
      Auditor.Action action = ticket.action(reply != null ? reply.status() : refusal.status(),
          refusal == null ? "" : refusal.code(), answer);
      auditor.record(action).whenComplete((v, err) -> context.runOnContext(x -> deliver(ctx, serialized, failure)));
      return;
    }
    deliver(ctx, reply, failure);
  }

  private void deliver(RoutingContext ctx, Reply reply, Throwable failure) {
    if (failure == null) {
      send(ctx, reply);
    } else {
      fail(ctx, failure);
    }
  }

  /** Records the route for the OpenAPI test; returns its template ({@code /api/v1/agents/{agent_id}}). */
  private String register(HttpMethod method, String path, Access access) {
    String template = path.replaceAll(":([a-z_]+)", "{$1}");
    if (access.who() != Access.Who.PUBLIC && access.who() != Access.Who.SELF && access.scope() == null) {
      throw new IllegalArgumentException(method + " " + template + ": an operator route must declare its scope");
    }
    java.util.regex.Matcher param = java.util.regex.Pattern.compile(":([a-z_]+)").matcher(path);
    while (param.find()) {
      if (!PathParameters.known(param.group(1))) {
        throw new IllegalArgumentException(method + " " + template + ": path parameter " + param.group(1)
            + " has no rule in PathParameters");
      }
    }
    routes.add(new RouteSpec(method.name(), template, access));
    return template;
  }

  /**
   * What every endpoint needs before it runs (on a worker): the caller, authorized for
   * {@code access}, no body on an operation the OpenAPI document gives none (an empty body, or
   * {@code {}}, which some clients always send, is no body), and path parameters that follow
   * their rules ({@link PathParameters}).
   */
  private ApiRequest admit(RoutingContext ctx, String template, Access access, boolean takesNoBody,
                           io.vertx.core.Context context) {
    Caller caller = authorize(ctx, access);
    Buffer b = takesNoBody ? ctx.body().buffer() : null;
    if (b != null && b.length() > 0 && !b.toString(java.nio.charset.StandardCharsets.UTF_8).strip().matches("|\\{\\s*}")) {
      throw ApiException.badRequest("unexpected_body", ctx.request().method() + " " + ctx.request().path()
          + " takes no request body");
    }
    PathParameters.check(ctx.pathParams());
    AuditTicket ticket = null;
    if (caller instanceof Caller.Operator op && ctx.request().method() != HttpMethod.GET) {
      ticket = ticket(ctx, op, template);
      ctx.put(AUDIT, ticket);
    }
    return new ApiRequest(ctx, caller, context, limits.clientAddress(ctx.request()), agentLabels, ticket);
  }

  /** The audit entry an operator's state-changing request owes. */
  private AuditTicket ticket(RoutingContext ctx, Caller.Operator op, String template) {
    Buffer body = ctx.body().buffer();
    return new AuditTicket(auditor, op, limits.clientAddress(ctx.request()),
        ctx.request().method().name() + " " + template, ctx.request().path(), body == null ? new byte[0] : body.getBytes());
  }

  /** Routes registered so far, for the OpenAPI document's completeness test. */
  public List<RouteSpec> routes() {
    return List.copyOf(routes);
  }

  /** Installs JSON answers for unknown routes, wrong methods, oversized bodies and uncaught failures. */
  public void finish() {
    router.route().last().handler(ctx -> sendError(ctx, 404, "not_found", "no such endpoint: " + ctx.request().path()));
    router.errorHandler(405, ctx -> sendError(ctx, 405, "method_not_allowed",
        "method " + ctx.request().method() + " is not allowed on " + ctx.request().path()));
    router.errorHandler(413, ctx -> sendError(ctx, 413, "payload_too_large", "the request body is too large"));
    router.errorHandler(400, ctx -> sendError(ctx, 400, "bad_request", "malformed request"));
    router.errorHandler(500, ctx -> fail(ctx, ctx.failure()));
  }

  private Caller authorize(RoutingContext ctx, Access access) {
    if (access.who() == Access.Who.PUBLIC) {
      return Caller.ANONYMOUS;
    }
    String header = ctx.request().getHeader("Authorization");
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7) || header.length() <= 7) {
      throw ApiException.unauthorized("an Authorization: Bearer <token> header is required");
    }
    Caller caller = authenticator.authenticate(header.substring(7).trim());
    if (caller instanceof Caller.Operator op && !limits.allowOperator(op.tokenId())) {
      limits.refused("operator_rate");
      throw ApiException.rateLimited("this operator token is over its request rate (AEGIS_OPERATOR_RATE_LIMIT)");
    }
    // From here on the request is the caller's to answer for (the audit log records it); one
    // refused by the rate limit is only counted, so that a flood cannot grow the log.
    ctx.put(CALLER, caller);
    if (caller instanceof Caller.Agent a && !limits.allowAgent(a.agentId())) {
      limits.refused("agent_rate");
      throw ApiException.rateLimited("this agent is over its request rate (AEGIS_AGENT_RATE_LIMIT)");
    }
    String pathAgent = ctx.pathParam("agent_id");
    boolean self = caller instanceof Caller.Agent a && a.agentId().equals(pathAgent);
    boolean allowed = switch (access.who()) {
      case PUBLIC, AUTHENTICATED -> true;
      case OPERATOR -> caller instanceof Caller.Operator;
      case OPERATOR_OR_SELF -> caller instanceof Caller.Operator || self;
      case SELF -> self;
    };
    if (!allowed) {
      throw ApiException.forbidden(switch (access.who()) {
        case OPERATOR -> "this endpoint needs an operator token";
        case SELF -> "this endpoint is for the agent itself";
        default -> "an agent may only reach its own resources";
      });
    }
    if (caller instanceof Caller.Operator op) {
      checkScope(op, access, pathAgent);
    }
    return caller;
  }

  /**
   * An operator token needs the route's scope, and a token with a label selector reaches only
   * agents carrying its label: one named in the path is checked here (another agent is answered
   * as if it did not exist, so the token learns nothing of agents it may not address), and a
   * route about no particular agent must apply the selector itself ({@link Access#selective}).
   */
  private void checkScope(Caller.Operator op, Access access, String pathAgent) {
    if (!access.scope().grantedBy(op.scopes())) {
      throw new ApiException(403, "insufficient_scope", "this token lacks the '" + access.scope().wire()
          + "' scope this endpoint needs");
    }
    if (op.agents().isEmpty()) {
      return;
    }
    if (pathAgent != null) {
      if (!op.mayAddress(pathAgent, agentLabels)) {
        throw ApiException.notFound("agent '" + pathAgent + "' is not registered");
      }
    } else if (!access.appliesSelector()) {
      throw new ApiException(403, "insufficient_scope", "this token may address only agents labelled "
          + op.agents().get() + "; this endpoint covers the whole fleet");
    }
  }

  private void record(RoutingContext ctx, HttpMethod method, String route, long start) {
    int status = ctx.response().getStatusCode();
    // One timer per route and status, found without building its id on every request.
    timers.computeIfAbsent(method.name() + " " + route + " " + status, k -> Timer.builder("http.server.requests")
        .description("REST API requests by route and status")
        .tag("method", method.name())
        .tag("route", route)
        .tag("status", Integer.toString(status))
        .register(metrics))
        .record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
  }

  private final java.util.concurrent.ConcurrentHashMap<String, Timer> timers = new java.util.concurrent.ConcurrentHashMap<>();

  private static void send(RoutingContext ctx, Reply reply) {
    HttpServerResponse response = ctx.response();
    if (response.ended() || response.closed()) {
      return;
    }
    response.setStatusCode(reply.status());
    for (Map.Entry<String, String> h : reply.headers().entrySet()) {
      response.putHeader(h.getKey(), h.getValue());
    }
    if (reply.body() == null) {
      response.end();
      return;
    }
    byte[] bytes = reply.body() instanceof byte[] b ? b : ApiJson.write(reply.body());
    response.putHeader("Content-Type", reply.contentType()).end(Buffer.buffer(bytes));
  }

  private void fail(RoutingContext ctx, Throwable t) {
    if (t instanceof io.vertx.core.http.HttpClosedException || ctx.response().closed()) {
      // The client went away (a body cut off mid-way, a dropped connection): not a server error,
      // and there is nobody to answer.
      log.debug("client gone during {} {}: {}", ctx.request().method(), ctx.request().path(), String.valueOf(t));
      return;
    }
    if (t instanceof ApiException e) {
      if (e.status() == 401) {
        ctx.response().putHeader("WWW-Authenticate", "Bearer");
        limits.failures().failed(limits.clientAddress(ctx.request()));
      }
      sendError(ctx, e.status(), e.code(), e.getMessage());
    } else if (t instanceof StoreException) {
      storeFailures.increment();
      log.error("store failure on {} {}: {}", ctx.request().method(), ctx.request().path(), t.getMessage());
      sendError(ctx, 503, "unavailable", "the store is unavailable; retry later");
    } else {
      String incident = UUID.randomUUID().toString();
      log.error("internal error {} on {} {}", incident, ctx.request().method(), ctx.request().path(), t);
      sendError(ctx, 500, "internal_error", "internal error (incident " + incident + ")");
    }
  }

  static void sendError(RoutingContext ctx, int status, String code, String message) {
    HttpServerResponse response = ctx.response();
    if (response.ended() || response.closed()) {
      return;
    }
    if (status == 429 || status == 503) {
      response.putHeader("Retry-After", status == 429 ? "1" : "5");
    }
    response.setStatusCode(status)
        .putHeader("Content-Type", "application/json")
        .end(Buffer.buffer(ApiJson.error(code, message)));
  }
}
