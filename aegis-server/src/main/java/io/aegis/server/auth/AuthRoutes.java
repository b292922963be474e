package io.aegis.server.auth;

import io.aegis.protocol.crypto.Hex;
import io.aegis.protocol.crypto.StrictBase64;
import io.aegis.server.api.Access;
import io.aegis.server.api.ApiException;
import io.aegis.server.api.ApiRouter;
import io.aegis.server.edge.RateLimiter;
import io.aegis.server.api.Reply;
import io.vertx.core.http.HttpMethod;

/**
 * {@code POST /api/v1/auth}: the seed's {@code AuthenticationRequest} in,
 * {@code AuthenticationResponse} out ({@code success}, {@code backend_key}, {@code session_token},
 * {@code expires_at} in Unix seconds as in the seed, and {@code agent_id}). A request with an
 * {@code ephemeral_key} also gets the HTTP session's fields (docs/PROTOCOL.md §17.1).
 * Attempts are rate-limited per client address. A refusal is an error body, never a
 * {@code success: false} answer.
 */
public final class AuthRoutes {
  /**
   * The seed's response shape, plus the fields of an HTTP session when the request asked for one.
   *
   * @param backendKey       without {@code ephemeral_key}: the backend's identity public key (base64
   *     of 32 bytes), which the agent may compare with the key it pinned; with it: the gateway's
   *     ephemeral X25519 value eB. Never a secret (the seed's sketch sent a session key here)
   * @param serverNonce      nB (base64 of 32 bytes), HTTP sessions only
   * @param backendKeyId     key id of the backend key that signed, HTTP sessions only
   * @param backendSignature sigB (base64 of 64 bytes), HTTP sessions only
   * @param sessionId        the HTTP session id (hex of 16 bytes), HTTP sessions only
   */
  record AuthenticationResponse(boolean success, String agentId, String backendKey, String sessionToken,
                                long expiresAt, String serverNonce, String backendKeyId, String backendSignature,
                                String sessionId, String message) {}

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
      String token = result.session().token();
      long expiresAt = result.session().expiresAt().getEpochSecond();
      return Reply.ok(result.recordKeys().map(k -> new AuthenticationResponse(true, result.agentId(),
              StrictBase64.encode(k.backendEphemeral()), token, expiresAt, StrictBase64.encode(k.serverNonce()),
              Hex.encode(k.backendKeyId()), StrictBase64.encode(k.backendSignature()), Hex.encode(k.sessionId()), null))
          .orElseGet(() -> new AuthenticationResponse(true, result.agentId(), identity.publicKey().base64(), token,
              expiresAt, null, null, null, null, null)));
    });
  }
}
