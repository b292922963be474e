package io.aegis.server.polling;

import io.aegis.protocol.crypto.Secrets;
import io.aegis.protocol.http.HttpSession;
import io.aegis.server.api.ApiException;
import io.aegis.server.api.ApiRequest;
import io.aegis.server.auth.AgentSessions;
import io.aegis.server.auth.RecordKeyVault;
import java.time.Clock;
import java.time.Instant;

/**
 * Finds the record keys of the HTTP session behind a request's session token: the keys stored
 * with the token by {@code POST /api/v1/auth} (with {@code ephemeral_key}), opened with the
 * {@link RecordKeyVault}. Any node can do this, since every node holds the backend identity key.
 * Blocking (one store read); thread-safe.
 */
final class HttpSessions {
  private final AgentSessions sessions;
  private final RecordKeyVault vault;
  private final int maxFrameBytes;

  HttpSessions(AgentSessions sessions, RecordKeyVault vault, int maxFrameBytes) {
    this.sessions = sessions;
    this.vault = vault;
    this.maxFrameBytes = maxFrameBytes;
  }

  /**
   * An open HTTP session: close it (erasing its keys) when the request is done.
   *
   * @param expiresAt when the session token expires (post nonces are remembered until then)
   */
  record Opened(String agentId, Instant expiresAt, HttpSession keys) {}

  /**
   * The HTTP session of the request's token. The caller's access (the agent in the path) has
   * already been checked.
   *
   * @throws ApiException 401 if the token is no longer live, 409 {@code no_record_keys} if it has
   *     no readable record keys
   */
  Opened open(ApiRequest r) {
    String header = r.header("Authorization").orElse("");
    String token = header.length() > 7 ? header.substring(7).trim() : "";
    AgentSessions.Live live = sessions.live(token)
        .orElseThrow(() -> ApiException.unauthorized("the session token is unknown, expired or revoked"));
    byte[] secrets = live.recordKeys().flatMap(k -> vault.open(k, live.tokenHash())).orElseThrow(() ->
        ApiException.conflict("no_record_keys", "this session has no record keys: authenticate with an "
            + "ephemeral_key (docs/PROTOCOL.md §17.1) to use the HTTP transport"));
    try {
      return new Opened(live.agentId(), live.expiresAt(), HttpSession.restore(secrets, Clock.systemUTC(), maxFrameBytes));
    } finally {
      Secrets.erase(secrets);
    }
  }
}
