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

  /** What the session's token is now (one store read), for a long poll about to carry messages. */
  AgentSessions.TokenState state(Opened opened) {
    return sessions.checkHash(opened.tokenHash()).state();
  }

  HttpSessions(AgentSessions sessions, RecordKeyVault vault, int maxFrameBytes) {
    this.sessions = sessions;
    this.vault = vault;
    this.maxFrameBytes = maxFrameBytes;
  }

  /**
   * An open HTTP session: close it (erasing its keys) when the request is done.
   *
   * @param tokenHash the hash of its session token, to look at the token again later
   * @param createdAt when the token was issued (of two HTTP sessions of one agent, the later wins)
   * @param expiresAt when the session token expires (post nonces are remembered until then)
   */
  record Opened(String agentId, String tokenHash, Instant createdAt, Instant expiresAt, HttpSession keys) {

    /** The session id, hex. */
    String sessionId() {
      return keys.sessionIdHex();
    }
  }

  /**
   * The HTTP session of the request's token. The caller's access (the agent in the path) has
   * already been checked.
   *
   * @throws ApiException the refusal of a token that is no longer live
   *     ({@link AgentSessions.TokenState#refusal()}: 401 {@code unauthorized} or {@code token_revoked},
   *     409 {@code replaced}), 409 {@code no_record_keys} if it has no readable record keys
   */
  Opened open(ApiRequest r) {
    String header = r.header("Authorization").orElse("");
    String token = header.length() > 7 ? header.substring(7).trim() : "";
    AgentSessions.Check check = sessions.check(token);
    AgentSessions.Live live = check.live().orElseThrow(() -> check.state().refusal());
    byte[] secrets = live.recordKeys().flatMap(k -> vault.open(k, live.tokenHash())).orElseThrow(() ->
        ApiException.conflict("no_record_keys", "this session has no record keys: authenticate with an "
            + "ephemeral_key (docs/PROTOCOL.md §17.1) to use the HTTP transport"));
    try {
      return new Opened(live.agentId(), live.tokenHash(), live.createdAt(), live.expiresAt(),
          HttpSession.restore(secrets, Clock.systemUTC(), maxFrameBytes));
    } finally {
      Secrets.erase(secrets);
    }
  }
}
