package io.aegis.server.auth;

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
 * {@link RecordKeyVault}.
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

  /** Issues a session that carries HTTP record keys ({@code sealer} seals them for the new token's hash). */
  public Issued issue(String agentId, java.util.function.Function<String, RecordKeyVault.Sealed> sealer) {
    Issued issued = newSession();
    RecordKeyVault.Sealed keys = sealer.apply(Tokens.hash(issued.token()));
    db.transaction(c -> {
      store(c, agentId, issued, keys);
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

  /** The agent id of a live session of an active agent, or empty. */
  public Optional<String> lookup(String token) {
    if (!token.startsWith(Tokens.SESSION)) {
      return Optional.empty();
    }
    return db.read(c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT s.agent_id FROM agent_sessions s JOIN agents a ON a.agent_id = s.agent_id "
              + "WHERE s.token_hash = ? AND s.revoked = ? AND s.expires_at > ? AND a.status = 'active'")) {
        ps.setString(1, Tokens.hash(token));
        ps.setBoolean(2, false);
        db.dialect().setInstant(ps, 3, Instant.now());
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
        }
      }
    });
  }

  /**
   * A live session as the HTTP transport needs it.
   *
   * @param recordKeys the sealed record keys, or empty for a session authenticated without them
   */
  public record Live(String agentId, String tokenHash, Instant expiresAt, Optional<RecordKeyVault.Sealed> recordKeys) {}

  /** The live session of an active agent holding {@code token}, or empty. */
  public Optional<Live> live(String token) {
    if (!token.startsWith(Tokens.SESSION)) {
      return Optional.empty();
    }
    String hash = Tokens.hash(token);
    return db.read(c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT s.agent_id, s.expires_at, s.record_keys, s.record_keys_key_id FROM agent_sessions s"
              + " JOIN agents a ON a.agent_id = s.agent_id"
              + " WHERE s.token_hash = ? AND s.revoked = ? AND s.expires_at > ? AND a.status = 'active'")) {
        ps.setString(1, hash);
        ps.setBoolean(2, false);
        db.dialect().setInstant(ps, 3, Instant.now());
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            return Optional.empty();
          }
          String blob = rs.getString(3);
          String keyId = rs.getString(4);
          return Optional.of(new Live(rs.getString(1), hash, db.dialect().getInstant(rs, "expires_at"),
              blob == null || keyId == null ? Optional.empty() : Optional.of(new RecordKeyVault.Sealed(blob, keyId))));
        }
      }
    });
  }

  public Duration timeout() {
    return timeout;
  }

  /** Revokes one session token (a session that closed before its agent ever received the token). */
  public void revoke(java.sql.Connection c, String token) throws java.sql.SQLException {
    try (PreparedStatement ps = c.prepareStatement("UPDATE agent_sessions SET revoked = ? WHERE token_hash = ?")) {
      ps.setBoolean(1, true);
      ps.setString(2, Tokens.hash(token));
      ps.executeUpdate();
    }
  }

  /** Revokes every session of the agent (deactivation, key rotation). Returns how many. */
  public int revokeAll(java.sql.Connection c, String agentId) throws java.sql.SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "UPDATE agent_sessions SET revoked = ? WHERE agent_id = ? AND revoked = ?")) {
      ps.setBoolean(1, true);
      ps.setString(2, agentId);
      ps.setBoolean(3, false);
      return ps.executeUpdate();
    }
  }
}
