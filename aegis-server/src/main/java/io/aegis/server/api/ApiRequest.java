package io.aegis.server.api;

import io.vertx.ext.web.RoutingContext;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Optional;

/**
 * A request as an endpoint sees it: path and query parameters with validation, the JSON body,
 * and the authenticated caller. Safe to read from the worker thread the endpoint runs on.
 */
public final class ApiRequest {
  private final RoutingContext ctx;
  private final Caller caller;
  private final io.vertx.core.Context context;
  private final String clientAddress;
  private final AgentLabels agentLabels;
  private final AuditTicket audit;

  /**
   * @param context the request's own context (its connection's event loop)
   * @param clientAddress the client's address, behind a trusted proxy the one it forwarded for
   */
  ApiRequest(RoutingContext ctx, Caller caller, io.vertx.core.Context context, String clientAddress,
             AgentLabels agentLabels, AuditTicket audit) {
    this.ctx = ctx;
    this.audit = audit;
    this.agentLabels = agentLabels;
    this.caller = caller;
    this.context = context;
    this.clientAddress = clientAddress;
  }

  public Caller caller() {
    return caller;
  }

  /** The audit entry this request owes, if it is an operator's and changes state. */
  public Optional<AuditTicket> audit() {
    return Optional.ofNullable(audit);
  }

  /** A path parameter, for example {@code agent_id} in {@code /api/v1/agents/:agent_id}. */
  public String path(String name) {
    String v = ctx.pathParam(name);
    if (v == null) {
      throw new IllegalStateException("route has no path parameter " + name);
    }
    return v;
  }

  public Optional<String> query(String name) {
    String v = ctx.request().getParam(name);
    return v == null || v.isEmpty() ? Optional.empty() : Optional.of(v);
  }

  /** Every value of a repeated query parameter ({@code ?label=a=1&label=b=2}). */
  public List<String> queryAll(String name) {
    return ctx.queryParam(name).stream().filter(v -> !v.isEmpty()).toList();
  }

  public int queryInt(String name, int defaultValue, int min, int max) {
    Optional<String> v = query(name);
    if (v.isEmpty()) {
      return defaultValue;
    }
    try {
      int n = Integer.parseInt(v.get());
      if (n < min || n > max) {
        throw ApiException.invalid("query parameter '" + name + "' must be between " + min + " and " + max);
      }
      return n;
    } catch (NumberFormatException e) {
      throw ApiException.invalid("query parameter '" + name + "' must be a whole number");
    }
  }

  /** An RFC 3339 time ({@code 2026-11-25T20:40:00Z}) or milliseconds since the epoch. */
  public Optional<Instant> queryInstant(String name) {
    return query(name).map(v -> {
      try {
        return v.chars().allMatch(Character::isDigit) ? Instant.ofEpochMilli(Long.parseLong(v)) : Instant.parse(v);
      } catch (DateTimeParseException | NumberFormatException e) {
        throw ApiException.invalid("query parameter '" + name + "' must be an RFC 3339 time such as 2026-11-25T20:40:00Z");
      }
    });
  }

  public Optional<String> header(String name) {
    return Optional.ofNullable(ctx.request().getHeader(name));
  }

  /**
   * Runs {@code action} if the client closes the connection before the answer is sent (a long
   * poll whose client went away). Runs on the connection's event loop.
   */
  public void onClientGone(Runnable action) {
    // The response belongs to its event loop (strict thread mode): install the handler there,
    // and run the action at once if the client left while the endpoint was working.
    context.runOnContext(v -> {
      if (ctx.response().closed()) {
        if (!ctx.response().ended()) {
          action.run();
        }
      } else {
        ctx.response().closeHandler(x -> action.run());
      }
    });
  }

  /** The client's address: the connection's peer, or behind a trusted proxy the address it forwarded for. */
  public String remoteAddress() {
    return clientAddress;
  }

  /** The method and path as requested, for example {@code POST /api/v1/agents/a1/send}. */
  public String requestLine() {
    return ctx.request().method().name() + " " + ctx.request().path();
  }

  /** The raw request body (empty if none). */
  public byte[] rawBody() {
    var b = ctx.body().buffer();
    return b == null ? new byte[0] : b.getBytes();
  }

  /** The JSON body read strictly into {@code type}; see {@link ApiJson#read}. */
  public <T> T body(Class<T> type) {
    String ct = ctx.request().getHeader("Content-Type");
    if (ct != null && !isJson(ct)) {
      throw new ApiException(415, "unsupported_media_type", "the request body must be application/json");
    }
    return ApiJson.read(rawBody(), type);
  }

  private static boolean isJson(String contentType) {
    String base = contentType.split(";", 2)[0].trim().toLowerCase(java.util.Locale.ROOT);
    return base.equals("application/json") || base.endsWith("+json");
  }

  /**
   * Whether the caller may address this agent: an agent or an unrestricted operator token may
   * address any; a token with a label selector only agents carrying that label (an agent that
   * does not exist carries none).
   */
  public boolean mayAddress(String agentId) {
    return !(caller instanceof Caller.Operator op) || op.mayAddress(agentId, agentLabels);
  }

  /** The label the caller's operator token restricts it to, if any. */
  public Optional<Caller.AgentSelector> agentSelector() {
    return caller instanceof Caller.Operator op ? op.agents() : Optional.empty();
  }

  /** The calling agent's id; the caller must be an agent. */
  public String agentId() {
    if (caller instanceof Caller.Agent a) {
      return a.agentId();
    }
    throw ApiException.forbidden("this endpoint is for agents");
  }
}
