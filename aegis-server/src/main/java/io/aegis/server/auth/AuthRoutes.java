package io.aegis.server.auth;

import io.aegis.server.api.Access;
import io.aegis.server.api.ApiException;
import io.aegis.server.api.ApiRouter;
import io.aegis.server.api.RateLimiter;
import io.aegis.server.api.Reply;
import io.vertx.core.http.HttpMethod;

/**
 * {@code POST /api/v1/auth}: the seed's {@code AuthenticationRequest} in,
 * {@code AuthenticationResponse} out ({@code success}, {@code backend_key}, {@code session_token},
 * {@code expires_at} in Unix seconds as in the seed, and {@code agent_id}).
 * Attempts are rate-limited per client address. A refusal is an error body, never a
 * {@code success: false} answer.
 */
public final class AuthRoutes {
  /**
   * The seed's response shape.
   *
   * @param backendKey the backend's identity public key (base64 of 32 bytes), which the agent
   *     may compare with the key it pinned; never a secret (the seed's sketch sent a session key here)
   */
  record AuthenticationResponse(boolean success, String agentId, String backendKey, String sessionToken,
                                long expiresAt, String message) {}

  private final AgentAuthentication authentication;
  private final RateLimiter limiter;
  private final BackendIdentity identity;

  public AuthRoutes(AgentAuthentication authentication, RateLimiter limiter, BackendIdentity identity) {
    this.authentication = authentication;
    this.limiter = limiter;
    this.identity = identity;
  }

  public void mount(ApiRouter api) {
    api.route(HttpMethod.POST, "/api/v1/auth", Access.PUBLIC, r -> {
      if (!limiter.allow(r.remoteAddress())) {
        throw ApiException.rateLimited("too many authentication attempts from this address; retry later");
      }
      var result = authentication.authenticate(r.body(AuthenticationRequest.class));
      return Reply.ok(new AuthenticationResponse(true, result.agentId(), identity.publicKey().base64(),
          result.session().token(), result.session().expiresAt().getEpochSecond(), null));
    });
  }
}
