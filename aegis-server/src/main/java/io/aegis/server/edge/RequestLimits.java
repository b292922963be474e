package io.aegis.server.edge;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.http.HttpServerRequest;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The REST API's limits on who may ask how much: the client address behind a trusted proxy
 * ({@link ClientAddresses}), failed authentications per address ({@link AuthFailures}), requests
 * per operator token ({@code AEGIS_OPERATOR_RATE_LIMIT}) and per agent ({@code AEGIS_AGENT_RATE_LIMIT}:
 * an HTTP-polling agent's polls, posts and events). Each refusal is counted in
 * {@code aegis_requests_refused_total{reason}}.
 *
 * <p>Thread-safe.
 */
public final class RequestLimits {
  /** Every refusal reason: the label values of {@code aegis_requests_refused_total}. */
  public static final List<String> REASONS = List.of("auth_failures", "operator_rate", "agent_rate",
      "auth_rate", "enroll_rate");

  private final ClientAddresses addresses;
  private final AuthFailures failures;
  private final RateLimiter operators;
  private final RateLimiter agents;
  private final Map<String, Counter> refused = new ConcurrentHashMap<>();
  private final MeterRegistry meters;

  public RequestLimits(ClientAddresses addresses, AuthFailures failures, double operatorRate, double agentRate,
                       MeterRegistry meters) {
    this.addresses = addresses;
    this.failures = failures;
    this.operators = new RateLimiter(operatorRate, operatorRate * 2, 100_000);
    this.agents = new RateLimiter(agentRate, agentRate * 2, 1_000_000);
    this.meters = meters;
    REASONS.forEach(this::counter);
  }

  public ClientAddresses addresses() {
    return addresses;
  }

  public AuthFailures failures() {
    return failures;
  }

  /** The client's address (see {@link ClientAddresses#resolve}). */
  public String clientAddress(HttpServerRequest req) {
    String peer = req.remoteAddress() == null ? "" : req.remoteAddress().hostAddress();
    return addresses.resolve(peer, req.getHeader("X-Forwarded-For"));
  }

  public boolean allowOperator(String tokenId) {
    return operators.allow(tokenId);
  }

  public boolean allowAgent(String agentId) {
    return agents.allow(agentId);
  }

  /** Counts a request refused for {@code reason} (one of {@link #REASONS}). */
  public void refused(String reason) {
    counter(reason).increment();
  }

  private Counter counter(String reason) {
    return refused.computeIfAbsent(reason, r -> Counter.builder("aegis.requests.refused")
        .description("REST requests refused by a limit, by reason")
        .tag("reason", r)
        .register(meters));
  }
}
