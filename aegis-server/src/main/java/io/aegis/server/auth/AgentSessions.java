package io.aegis.server.auth;

import io.aegis.server.api.ApiException;
import io.aegis.server.store.Database;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Agent session tokens, issued by {@code POST /api/v1/auth} and by the WebSocket handshake.
 * Stored only as hashes; valid until {@code SESSION_TIMEOUT}, revocation, or the agent's
 * deactivation (the lookup requires the agent to be active). A token issued with an
 * {@code ephemeral_key} also carries the HTTP session's record keys, sealed by
 * {@link RecordKeyVault}; issuing one replaces the agent's earlier HTTP sessions.
 *
 * <p>A revoked token keeps the reason ({@link Revocation}), so that its holder — who proved who it
 * is when it got the token — learns what to do ({@link TokenState}): stop (the agent was
 * deactivated, or another instance took over) or authenticate again.
 */
public final class AgentSessions {
  private final Database db;
  private final Duration timeout;

  public AgentSessions(Database db, Duration timeout) {
    this.db = db;
    this.timeout = timeout;
  }

  /** An issued token and its expiry. */
  public record Issued(String token, Instant expiresAt) {}

  /** Why a token was revoked, as stored in {@code agent_sessions.revoked_reason}. */
  public enum Revocation {
    /** The agent was deactivated: its holder must stop ({@code token_revoked}). */
    AGENT_REVOKED("agent_revoked"),
    /** A newer HTTP session of the agent replaced this one: its holder must stop ({@code replaced}). */
    REPLACED("replaced"),
    /** The agent rotated its identity key: authenticate again, with the new key. */
    KEY_ROTATED("key_rotated"),
    /** A WebSocket session closed before its agent received the token. */
    UNUSED("unused");

    private final String column;

    Revocation(String column) {
      this.column = column;
    }

    /** The value stored in {@code revoked_reason}. */
    public String column() {
      return column;
    }
  }

  /**
   * What a presented session token is now, as far as its holder may know. Only someone who holds
   * the token learns it, and the token proves that it authenticated once, so telling a revoked
   * agent from an expired token reveals nothing to anyone else.
   */
  public enum TokenState {
    /** Valid: not expired, not revoked, its agent active. */
    LIVE,
    /** Unknown, expired, or revoked for a reason that only asks for a new authentication. */
    UNKNOWN,
    /** The agent was deactivated (its tokens stay revoked after a reactivation). */
    REVOKED,
    /** A newer HTTP session of the same agent replaced this one. */
    REPLACED;

    /** The answer to a request made with a token in this state (not for {@link #LIVE}). */
    public ApiException refusal() {
      return switch (this) {
        case LIVE -> throw new IllegalStateException("a live token is not refused");
        case UNKNOWN -> ApiException.unauthorized("the session token is unknown, expired or revoked; authenticate "
            + "again");
        case REVOKED -> new ApiException(401, TOKEN_REVOKED, "the agent was deactivated: its session tokens are "
            + "revoked");
        case REPLACED -> ApiException.conflict(REPLACED_CODE, "a newer HTTP session of this agent (POST /api/v1/auth "
            + "with ephemeral_key, e.g. by another instance) replaced this one");
      };
    }
  }

  /** Error code of a token whose agent was deactivated (401). */
  public static final String TOKEN_REVOKED = "token_revoked";
  /** Error code of a token of an HTTP session replaced by a newer one (409). */
  public static final String REPLACED_CODE = "replaced";

  /** Issues a session in its own transaction. */
  public Issued issue(String agentId) {
    Issued issued = newSession();
    db.transaction(c -> {
      store(c, agentId, issued);
      return null;
    });
    return issued;
  }

  /** A new token and its expiry, not yet stored (see {@link #store}). */
  public Issued newSession() {
    return new Issued(Tokens.generate(Tokens.SESSION),
        Instant.now().plus(timeout).truncatedTo(java.time.temporal.ChronoUnit.MILLIS));
  }

  /**
   * Issues a session that carries HTTP record keys ({@code sealer} seals them for the new token's
   * hash) and, in the same transaction, revokes the agent's other live sessions that carry record
   * keys as {@link Revocation#REPLACED}: one HTTP session per agent. WebSocket session tokens and
   * tokens issued without record keys are left alone.
   */
  public Issued issue(String agentId, java.util.function.Function<String, RecordKeyVault.Sealed> sealer) {
    Issued issued = newSession();
    String hash = Tokens.hash(issued.token());
    RecordKeyVault.Sealed keys = sealer.apply(hash);
    db.transaction(c -> {
      store(c, agentId, issued, keys);
      try (PreparedStatement ps = c.prepareStatement("UPDATE agent_sessions SET revoked = ?, revoked_reason = ?"
          + " WHERE agent_id = ? AND revoked = ? AND record_keys IS NOT NULL AND token_hash <> ?")) {
        ps.setBoolean(1, true);
        ps.setString(2, Revocation.REPLACED.column());
        ps.setString(3, agentId);
        ps.setBoolean(4, false);
        ps.setString(5, hash);
        ps.executeUpdate();
      }
      return null;
    });
    return issued;
  }

  /** Stores {@code issued} for {@code agentId} in the caller's transaction. */
  public void store(java.sql.Connection c, String agentId, Issued issued) throws java.sql.SQLException {
    store(c, agentId, issued, null);
  }

  private void store(java.sql.Connection c, String agentId, Issued issued, RecordKeyVault.Sealed keys)
      throws java.sql.SQLException {
    Instant now = Instant.now();
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO agent_sessions"
        + " (token_hash, agent_id, created_at, expires_at, revoked, record_keys, record_keys_key_id)"
        + " VALUES (?, ?, ?, ?, ?, ?, ?)")) {
      ps.setString(1, Tokens.hash(issued.token()));
      ps.setString(2, agentId);
      db.dialect().setInstant(ps, 3, now);
      db.dialect().setInstant(ps, 4, issued.expiresAt());
      ps.setBoolean(5, false);
      ps.setString(6, keys == null ? null : keys.blob());
      ps.setString(7, keys == null ? null : keys.keyId());
      ps.executeUpdate();
    }
    // Expired sessions are of no use to anyone; clear them out as new ones are issued.
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM agent_sessions WHERE agent_id = ? AND expires_at < ?")) {
      ps.setString(1, agentId);
      db.dialect().setInstant(ps, 2, now);
      ps.executeUpdate();
    }
  }

  /**
   * A live session as the HTTP transport needs it.
   *
   * @param createdAt  when the token was issued (of two HTTP sessions of an agent, the later one
   *                   replaces the earlier)
   * @param recordKeys the sealed record keys, or empty for a session authenticated without them
   */
  public record Live(String agentId, String tokenHash, Instant createdAt, Instant expiresAt,
                     Optional<RecordKeyVault.Sealed> recordKeys) {}

  /**
   * What {@code token} is now, and its session if it is live.
   *
   * @param live present exactly when {@code state} is {@link TokenState#LIVE}
   */
  public record Check(TokenState state, Optional<Live> live) {}

  /** What {@code token} is now (one store read). */
  public Check check(String token) {
    if (!token.startsWith(Tokens.SESSION)) {
      return new Check(TokenState.UNKNOWN, Optional.empty());
    }
    return checkHash(Tokens.hash(token));
  }

  /** As {@link #check}, by the token's hash (for a session whose token was checked before). */
  public Check checkHash(String hash) {
    return db.read(c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT s.agent_id, s.created_at, s.expires_at, s.revoked, s.revoked_reason, s.record_keys,"
              + " s.record_keys_key_id, a.status FROM agent_sessions s LEFT JOIN agents a ON a.agent_id = s.agent_id"
              + " WHERE s.token_hash = ?")) {
        ps.setString(1, hash);
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            return new Check(TokenState.UNKNOWN, Optional.empty());
          }
          String reason = rs.getString("revoked_reason");
          boolean revoked = rs.getBoolean("revoked");
          String status = rs.getString("status");
          Instant expiresAt = db.dialect().getInstant(rs, "expires_at");
          // A revocation the holder must act on wins over expiry, so that a replaced instance that
          // comes back after its token expired still stops rather than take the session back (as
          // long as the row is kept: expired rows go when the agent's next session is issued).
          if (revoked && Revocation.REPLACED.column().equals(reason)) {
            return new Check(TokenState.REPLACED, Optional.empty());
          }
          if (revoked && Revocation.AGENT_REVOKED.column().equals(reason) || !"active".equals(status)) {
            return new Check(status == null ? TokenState.UNKNOWN : TokenState.REVOKED, Optional.empty());
          }
          if (revoked || !expiresAt.isAfter(Instant.now())) {
            return new Check(TokenState.UNKNOWN, Optional.empty());
          }
          String blob = rs.getString("record_keys");
          String keyId = rs.getString("record_keys_key_id");
          return new Check(TokenState.LIVE, Optional.of(new Live(rs.getString("agent_id"), hash,
              db.dialect().getInstant(rs, "created_at"), expiresAt,
              blob == null || keyId == null ? Optional.empty() : Optional.of(new RecordKeyVault.Sealed(blob, keyId)))));
        }
      }
    });
  }

  public Duration timeout() {
    return timeout;
  }

  /** Revokes one session token (a session that closed before its agent ever received the token). */
  public void revoke(java.sql.Connection c, String token) throws java.sql.SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "UPDATE agent_sessions SET revoked = ?, revoked_reason = ? WHERE token_hash = ?")) {
      ps.setBoolean(1, true);
      ps.setString(2, Revocation.UNUSED.column());
      ps.setString(3, Tokens.hash(token));
      ps.executeUpdate();
    }
  }

  /** Revokes every session of the agent (deactivation, key rotation), for {@code why}. Returns how many. */
  public int revokeAll(java.sql.Connection c, String agentId, Revocation why) throws java.sql.SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "UPDATE agent_sessions SET revoked = ?, revoked_reason = ? WHERE agent_id = ? AND revoked = ?")) {
      ps.setBoolean(1, true);
      ps.setString(2, why.column());
      ps.setString(3, agentId);
      ps.setBoolean(4, false);
      return ps.executeUpdate();
    }
  }
}
