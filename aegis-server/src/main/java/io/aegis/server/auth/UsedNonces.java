package io.aegis.server.auth;

import io.aegis.server.store.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;

/**
 * Single-use nonces per agent, in the {@code auth_nonces} table: those of {@code POST /api/v1/auth}
 * (kept for the clock-skew window) and those of HTTP posts (kept for the session's life, under
 * a {@code post:} prefix that no authentication nonce can have). Thread-safe.
 */
public final class UsedNonces {
  /** Prefix of HTTP post nonces; ':' is outside the alphabet of authentication nonces. */
  public static final String POST_PREFIX = "post:";

  private final Database db;

  public UsedNonces(Database db) {
    this.db = db;
  }

  /**
   * Records {@code nonce} for {@code agentId} until {@code expiresAt}, in its own transaction
   * (committed when this returns). Returns false if the agent already used it and it has not
   * expired. Expired nonces of the agent are cleared on the way.
   */
  public boolean remember(String agentId, String nonce, Instant expiresAt) {
    return db.transaction(c -> remember(c, agentId, nonce, expiresAt));
  }

  /** As {@link #remember(String, String, Instant)}, in the caller's transaction (a group commit). */
  public boolean remember(Connection c, String agentId, String nonce, Instant expiresAt) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM auth_nonces WHERE agent_id = ? AND expires_at < ?")) {
      ps.setString(1, agentId);
      db.dialect().setInstant(ps, 2, Instant.now());
      ps.executeUpdate();
    }
    try (PreparedStatement ps = c.prepareStatement(
        "INSERT INTO auth_nonces (agent_id, nonce, expires_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")) {
      ps.setString(1, agentId);
      ps.setString(2, nonce);
      db.dialect().setInstant(ps, 3, expiresAt);
      return ps.executeUpdate() == 1;
    }
  }
}
