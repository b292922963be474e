package io.aegis.server.registry;

import com.fasterxml.jackson.databind.JsonNode;
import io.aegis.server.api.Access;
import io.aegis.server.api.Scope;
import io.aegis.server.api.ApiException;
import io.aegis.server.api.ApiRequest;
import io.aegis.server.api.ApiRouter;
import io.aegis.server.api.Paging;
import io.aegis.server.api.Reply;
import io.aegis.server.config.Durations;
import io.vertx.core.http.HttpMethod;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Enrollment: operators create, list and revoke enrollment tokens; an agent enrolls itself with
 * one ({@code POST /api/v1/enroll}, no other credentials).
 *
 * <p>An enrolling agent cannot choose its labels: labels decide which policies, artifacts and
 * commands reach an agent, so they come only from the token the operator made.
 */
public final class EnrollmentRoutes {
  static final Duration DEFAULT_TTL = Duration.ofHours(24);
  static final Duration MAX_TTL = Duration.ofDays(365);
  static final int MAX_USES = 1_000_000;

  record CreateRequest(String description, Integer maxUses, String expiresIn, Map<String, String> labels) {}

  record TokenList(List<EnrollmentToken> enrollmentTokens, String nextCursor) {}

  record EnrollRequest(String enrollmentToken, String agentId, String publicKey, JsonNode metadata) {}

  private final EnrollmentTokens tokens;
  private final io.aegis.server.edge.RateLimiter limiter;

  /** @param limiter enrollments per client address ({@code AEGIS_ENROLL_RATE_LIMIT}) */
  public EnrollmentRoutes(EnrollmentTokens tokens, io.aegis.server.edge.RateLimiter limiter) {
    this.tokens = tokens;
    this.limiter = limiter;
  }

  public void mount(ApiRouter api) {
    api.route(HttpMethod.POST, "/api/v1/enrollment-tokens", Access.operator(Scope.AGENTS_WRITE), this::create);
    api.route(HttpMethod.GET, "/api/v1/enrollment-tokens", Access.operator(Scope.READ), this::list);
    api.route(HttpMethod.GET, "/api/v1/enrollment-tokens/:token_id", Access.operator(Scope.READ),
        r -> Reply.ok(tokens.find(r.path("token_id")).orElseThrow(
            () -> ApiException.notFound("enrollment token '" + r.path("token_id") + "' does not exist"))));
    api.route(HttpMethod.DELETE, "/api/v1/enrollment-tokens/:token_id", Access.operator(Scope.AGENTS_WRITE), r -> {
      tokens.revoke(r.path("token_id"));
      return Reply.noContent();
    });
    api.route(HttpMethod.POST, "/api/v1/enroll", Access.PUBLIC, this::enroll);
  }

  private Reply create(ApiRequest r) {
    CreateRequest body = r.body(CreateRequest.class);
    int maxUses = body.maxUses() == null ? 1 : body.maxUses();
    if (maxUses < 1 || maxUses > MAX_USES) {
      throw ApiException.invalid("max_uses must be between 1 and " + MAX_USES);
    }
    Duration ttl = DEFAULT_TTL;
    if (body.expiresIn() != null) {
      try {
        ttl = Durations.parse(body.expiresIn());
      } catch (IllegalArgumentException e) {
        throw ApiException.invalid("expires_in '" + body.expiresIn() + "' " + e.getMessage());
      }
      if (ttl.isZero() || ttl.compareTo(MAX_TTL) > 0) {
        throw ApiException.invalid("expires_in must be more than 0 and at most 365d");
      }
    }
    if (body.description() != null && body.description().length() > 1024) {
      throw ApiException.invalid("description must be at most 1024 characters");
    }
    return Reply.created(tokens.create(body.description(), maxUses, ttl, Labels.validate(body.labels())));
  }

  private Reply list(ApiRequest r) {
    int limit = Paging.limit(r);
    Optional<EnrollmentTokens.Position> after = Paging.cursor(r, 2)
        .map(c -> new EnrollmentTokens.Position(Instant.ofEpochMilli(Paging.number(c.get(0))), c.get(1)));
    List<EnrollmentToken> rows = tokens.list(after, limit);
    boolean more = rows.size() > limit;
    List<EnrollmentToken> page = more ? rows.subList(0, limit) : rows;
    EnrollmentToken last = more ? page.get(limit - 1) : null;
    return Reply.ok(new TokenList(page, more ? Paging.encode(last.createdAt().toEpochMilli(), last.id()) : null));
  }

  private Reply enroll(ApiRequest r) {
    if (!limiter.allow(r.remoteAddress())) {
      throw ApiException.rateLimited("too many enrollments from this address (AEGIS_ENROLL_RATE_LIMIT); retry later");
    }
    EnrollRequest body = r.body(EnrollRequest.class);
    if (body.enrollmentToken() == null || body.enrollmentToken().isBlank()) {
      throw ApiException.invalid("enrollment_token is required");
    }
    String agentId = AgentRoutes.validAgentId(body.agentId());
    String key = AgentRoutes.validPublicKey(body.publicKey());
    JsonNode metadata = AgentRoutes.validMetadata(body.metadata());
    return Reply.created(tokens.enroll(body.enrollmentToken(), agentId, key, metadata));
  }
}
