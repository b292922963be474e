package io.aegis.server.gateway;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.aegis.server.api.ApiJson;
import io.aegis.server.auth.Tokens;
import io.aegis.server.store.Database;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The seed's {@code agent_connections} table (named by {@code CONNECTIONS_TABLE}): one row per
 * agent saying whether it is connected, since when, where and until when. The
 * {@code session_token} column holds the SHA-256 hash of the session's token, never the token.
 * Node, session id, remote address, protocol version and session expiry sit in {@code metadata}.
 *
 * <p>SQL only; callers decide the transaction (the session writes go through the group-commit
 * writer). Thread-safe.
 */
public final class ConnectionsTable {
  private final Database db;
  private final String table;

  /** A row as the status endpoint needs it. */
  public record Row(String agentId, boolean active, Instant connectedAt, Instant lastSeen, Map<String, Object> metadata) {}

  public ConnectionsTable(Database db, String table) {
    this.db = db;
    this.table = table;
  }

  /** Records a new session of {@code agentId} (replacing whatever the row said before). */
  public void connected(Connection c, String agentId, String publicKey, String sessionToken, Instant at,
                        ObjectNode metadata) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + table
        + " (id, agent_id, public_key, session_token, connected_at, last_seen, is_active, metadata, created_at, updated_at)"
        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        + " ON CONFLICT (agent_id) DO UPDATE SET public_key = excluded.public_key,"
        + " session_token = excluded.session_token, connected_at = excluded.connected_at,"
        + " last_seen = excluded.last_seen, is_active = excluded.is_active, metadata = excluded.metadata,"
        + " updated_at = excluded.updated_at")) {
      ps.setString(1, UUID.randomUUID().toString());
      ps.setString(2, agentId);
      ps.setString(3, publicKey);
      ps.setString(4, Tokens.hash(sessionToken));
      db.dialect().setInstant(ps, 5, at);
      db.dialect().setInstant(ps, 6, at);
      ps.setBoolean(7, true);
      ps.setString(8, new String(ApiJson.write(metadata), StandardCharsets.UTF_8));
      db.dialect().setInstant(ps, 9, at);
      db.dialect().setInstant(ps, 10, at);
      ps.executeUpdate();
    }
  }

  /** Marks the session gone, unless a newer session of the agent already took the row. */
  public void disconnected(Connection c, String agentId, String sessionToken, Instant at) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("UPDATE " + table
        + " SET is_active = ?, last_seen = ?, updated_at = ? WHERE agent_id = ? AND session_token = ?")) {
      ps.setBoolean(1, false);
      db.dialect().setInstant(ps, 2, at);
      db.dialect().setInstant(ps, 3, at);
      ps.setString(4, agentId);
      ps.setString(5, Tokens.hash(sessionToken));
      ps.executeUpdate();
    }
  }

  /** Writes last-seen times of many live sessions in one JDBC batch. */
  public void lastSeen(Connection c, List<Map.Entry<String, Instant>> seen) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("UPDATE " + table + " SET last_seen = ? WHERE agent_id = ?")) {
      for (Map.Entry<String, Instant> e : seen) {
        db.dialect().setInstant(ps, 1, e.getValue());
        ps.setString(2, e.getKey());
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  /** Marks every row this node owned as disconnected (at start-up, after a crash). */
  public int clearNode(Connection c, String nodeId, Instant at) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("UPDATE " + table
        + " SET is_active = ?, updated_at = ? WHERE is_active = ? AND " + db.dialect().jsonField("metadata", "node_id") + " = ?")) {
      ps.setBoolean(1, false);
      db.dialect().setInstant(ps, 2, at);
      ps.setBoolean(3, true);
      ps.setString(4, nodeId);
      return ps.executeUpdate();
    }
  }

  public Optional<Row> find(String agentId) {
    return db.read(c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT agent_id, is_active, connected_at, last_seen, metadata FROM " + table + " WHERE agent_id = ?")) {
        ps.setString(1, agentId);
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            return Optional.empty();
          }
          @SuppressWarnings("unchecked")
          Map<String, Object> meta = rs.getString("metadata") == null ? Map.of()
              : ApiJson.MAPPER.readValue(rs.getString("metadata"), Map.class);
          return Optional.of(new Row(rs.getString("agent_id"), rs.getBoolean("is_active"),
              db.dialect().getInstant(rs, "connected_at"), db.dialect().getInstant(rs, "last_seen"), meta));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
          throw new SQLException("corrupt metadata in " + table, e);
        }
      }
    });
  }
}
