package io.aegis.server.push;

import io.aegis.server.store.BatchedWrite;
import io.aegis.server.store.Database;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.Optional;

/**
 * What each agent has acknowledged of the pushed state ({@code agent_sync_state}): the etag of
 * the last policy set and the cursor of the last artifact delivered to it. A reconnecting agent
 * is sent exactly what changed while it was away.
 *
 * <p>Thread-safe; blocking.
 */
public final class SyncState {
  private final Database db;

  public SyncState(Database db) {
    this.db = db;
  }

  /** The agent's state, or empty if nothing was ever delivered to it. */
  public record State(String policyEtag, long artifactCursor) {}

  public Optional<State> get(String agentId) {
    return db.read(c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT policy_etag, artifact_cursor FROM agent_sync_state WHERE agent_id = ?")) {
        ps.setString(1, agentId);
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next() ? Optional.of(new State(rs.getString(1), rs.getLong(2))) : Optional.empty();
        }
      }
    });
  }

  /** Records that the agent has the policy set {@code etag}: a write for its ack's group commit. */
  public BatchedWrite policyDelivered(String agentId, String etag) {
    Instant now = Instant.now();
    return BatchedWrite.of("INSERT INTO agent_sync_state (agent_id, policy_etag, artifact_cursor, updated_at)"
        + " VALUES (?, ?, 0, ?) ON CONFLICT (agent_id) DO UPDATE SET policy_etag = excluded.policy_etag,"
        + " updated_at = excluded.updated_at", ps -> {
          ps.setString(1, agentId);
          ps.setString(2, etag);
          db.dialect().setInstant(ps, 3, now);
        });
  }

  /** Raises the agent's artifact cursor to {@code cursor} (never lowers it): a write for its ack's group commit. */
  public BatchedWrite artifactDelivered(String agentId, long cursor) {
    Instant now = Instant.now();
    return BatchedWrite.of("INSERT INTO agent_sync_state (agent_id, policy_etag, artifact_cursor, updated_at)"
        + " VALUES (?, NULL, ?, ?) ON CONFLICT (agent_id) DO UPDATE SET"
        + " artifact_cursor = CASE WHEN excluded.artifact_cursor > agent_sync_state.artifact_cursor"
        + " THEN excluded.artifact_cursor ELSE agent_sync_state.artifact_cursor END, updated_at = excluded.updated_at",
        ps -> {
          ps.setString(1, agentId);
          ps.setLong(2, cursor);
          db.dialect().setInstant(ps, 3, now);
        });
  }
}
