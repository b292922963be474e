package io.aegis.server.auth;

import io.aegis.server.api.Access;
import io.aegis.server.api.ApiException;
import io.aegis.server.api.ApiRouter;
import io.aegis.server.api.RateLimiter;
import io.aegis.server.api.Reply;
import io.vertx.core.http.HttpMethod;

/**
 * {@code POST /api/v1/auth}: the seed's {@code AuthenticationRequest} in,
 * {@code AuthenticationResponse} out ({@code success}, {@code session_token},
 * {@code expires_at} in Unix seconds as in the seed, and {@code agent_id}).
 * Attempts are rate-limited per client address.
 */
public final class AuthRoutes {
  /** The seed's response shape. */
  record AuthenticationResponse(boolean success, String agentId, String sessionToken, long expiresAt, String message) {}

  private final AgentAuthentication authentication;
  private final RateLimiter limiter;

  public AuthRoutes(AgentAuthentication authentication, RateLimiter limiter) {
    this.authentication = authentication;
    this.limiter = limiter;
  }

  public void mount(ApiRouter api) {
    api.route(HttpMethod.POST, "/api/v1/auth", Access.PUBLIC, r -> {
      if (!limiter.allow(r.remoteAddress())) {
        throw ApiException.rateLimited("too many authentication attempts from this address; retry later");
      }
      var result = authentication.authenticate(r.body(AuthenticationRequest.class));
      return Reply.ok(new AuthenticationResponse(true, result.agentId(), result.session().token(),
          result.session().expiresAt().getEpochSecond(), null));
    });
  }
}
