package io.aegis.server.auth;

import io.aegis.server.api.Access;
import io.aegis.server.api.ApiException;
import io.aegis.server.api.ApiRequest;
import io.aegis.server.api.ApiRouter;
import io.aegis.server.api.Caller;
import io.aegis.server.api.Reply;
import io.aegis.server.api.Scope;
import io.aegis.server.config.Durations;
import io.aegis.server.registry.Labels;
import io.vertx.core.http.HttpMethod;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code /api/v1/operator-tokens}: creating, listing and revoking operator tokens through the API
 * ({@code admin} scope). A revocation is effective at once on every node: each request looks its
 * token up in the shared store.
 */
public final class OperatorTokenRoutes {
  static final Duration MAX_LIFETIME = Duration.ofDays(3650);
  static final int MAX_NAME = 255;

  record CreateRequest(String name, List<String> scopes, Map<String, String> agents, String expiresIn) {}

  /** A token as the API shows it; {@code token} only in the answer that created it. */
  record TokenView(String tokenId, String name, List<String> scopes, Map<String, String> agents, Instant expiresAt,
                   Instant createdAt, String createdBy, boolean revoked, boolean active, String token) {
    static TokenView of(OperatorTokens.Listed t, String token) {
      return new TokenView(t.id(), t.name(), t.scopes().stream().sorted().map(Scope::wire).toList(),
          t.agents().map(s -> Map.of("label", s.toString())).orElse(null), t.expiresAt().orElse(null),
          t.createdAt(), t.createdBy(), t.revoked(), t.active(Instant.now()), token);
    }
  }

  record TokenList(List<TokenView> operatorTokens) {}

  private final OperatorTokens tokens;

  public OperatorTokenRoutes(OperatorTokens tokens) {
    this.tokens = tokens;
  }

  public void mount(ApiRouter api) {
    Access admin = Access.operator(Scope.ADMIN);
    api.route(HttpMethod.POST, "/api/v1/operator-tokens", admin, this::create);
    api.route(HttpMethod.GET, "/api/v1/operator-tokens", admin,
        r -> Reply.ok(new TokenList(tokens.list().stream().map(t -> TokenView.of(t, null)).toList())));
    api.route(HttpMethod.GET, "/api/v1/operator-tokens/:token_id", admin, r -> Reply.ok(TokenView.of(
        tokens.find(r.path("token_id")).orElseThrow(() -> notFound(r.path("token_id"))), null)));
    api.route(HttpMethod.DELETE, "/api/v1/operator-tokens/:token_id", admin, r -> {
      if (!tokens.revoke(r.path("token_id"))) {
        throw notFound(r.path("token_id"));
      }
      return Reply.noContent();
    });
  }

  private Reply create(ApiRequest r) {
    CreateRequest body = r.body(CreateRequest.class);
    OperatorTokens.Spec spec = spec(body.name(), body.scopes(), body.agents(), body.expiresIn());
    String by = r.caller() instanceof Caller.Operator op ? op.tokenId() : "unknown";
    OperatorTokens.Created created = tokens.create(spec, by);
    return Reply.created(TokenView.of(created.listed(), created.token()));
  }

  /** Validates a token's description (shared with {@code bin/aegis admin create-token}); 400 naming the first fault. */
  public static OperatorTokens.Spec spec(String name, List<String> scopes, Map<String, String> agents, String expiresIn) {
    if (name == null || name.isBlank() || name.length() > MAX_NAME || name.chars().anyMatch(Character::isISOControl)) {
      throw ApiException.invalid("name is required: 1-" + MAX_NAME + " characters, no control characters");
    }
    if (scopes == null || scopes.isEmpty()) {
      throw ApiException.invalid("scopes must list at least one of " + known());
    }
    Set<Scope> granted = EnumSet.noneOf(Scope.class);
    for (String s : scopes) {
      granted.add(Scope.of(s).orElseThrow(() -> ApiException.badRequest("unknown_scope",
          "unknown scope '" + s + "'; known: " + known())));
    }
    Optional<Caller.AgentSelector> selector = Optional.empty();
    if (agents != null) {
      if (agents.size() != 1 || !agents.containsKey("label") || agents.get("label") == null) {
        throw ApiException.invalid("agents must be {\"label\": \"name=value\"}");
      }
      Labels.Selector s = Labels.parseSelector(agents.get("label"));
      selector = Optional.of(new Caller.AgentSelector(s.name(), s.value()));
      if (granted.contains(Scope.ADMIN)) {
        throw ApiException.invalid("an admin token reaches every agent: it cannot be limited by agents");
      }
    }
    Optional<Instant> expiresAt = Optional.empty();
    if (expiresIn != null) {
      Duration d;
      try {
        d = Durations.parse(expiresIn);
      } catch (IllegalArgumentException e) {
        throw ApiException.invalid("expires_in '" + expiresIn + "' " + e.getMessage());
      }
      if (d.isZero() || d.isNegative() || d.compareTo(MAX_LIFETIME) > 0) {
        throw ApiException.invalid("expires_in must be more than 0 and at most 3650d");
      }
      expiresAt = Optional.of(Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS).plus(d));
    }
    return new OperatorTokens.Spec(name, granted, selector, expiresAt);
  }

  private static String known() {
    return String.join(", ", java.util.Arrays.stream(Scope.values()).map(Scope::wire).toList());
  }

  private static ApiException notFound(String id) {
    return ApiException.notFound("operator token '" + id + "' does not exist");
  }
}
