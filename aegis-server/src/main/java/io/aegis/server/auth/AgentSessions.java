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
 * deactivation (the lookup requires the agent to be active).
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
    return new Issued(Tokens.generate(Tokens.SESSION), Instant.now().plus(timeout));
  }

  /** Stores {@code issued} for {@code agentId} in the caller's transaction. */
  public void store(java.sql.Connection c, String agentId, Issued issued) throws java.sql.SQLException {
    Instant now = Instant.now();
    try (PreparedStatement ps = c.prepareStatement(
        "INSERT INTO agent_sessions (token_hash, agent_id, created_at, expires_at, revoked) VALUES (?, ?, ?, ?, ?)")) {
      ps.setString(1, Tokens.hash(issued.token()));
      ps.setString(2, agentId);
      db.dialect().setInstant(ps, 3, now);
      db.dialect().setInstant(ps, 4, issued.expiresAt());
      ps.setBoolean(5, false);
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
