package io.aegis.server.routing;

import io.aegis.server.store.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Channel subscriptions, persisted per agent in the seed's {@code communication_channels} table:
 * {@code backend_to_agent} rows are channels an agent subscribed to (broadcasts to subscribers
 * reach it), {@code agent_to_backend} rows are channels it has sent on. One row per agent and
 * channel; unsubscribing clears {@code is_active}.
 *
 * <p>Thread-safe; blocking.
 */
public final class Subscriptions {
  public static final String BACKEND_TO_AGENT = "backend_to_agent";
  public static final String AGENT_TO_BACKEND = "agent_to_backend";

  private final Database db;

  public Subscriptions(Database db) {
    this.db = db;
  }

  /** Subscribes ({@code active}) or unsubscribes the agent to/from the channels. */
  public void set(Connection c, String agentId, List<String> channels, boolean active) throws SQLException {
    Instant now = Instant.now();
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO communication_channels"
        + " (id, agent_id, channel_name, channel_type, is_active, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
        + " ON CONFLICT (agent_id, channel_name) DO UPDATE SET channel_type = excluded.channel_type,"
        + " is_active = excluded.is_active, updated_at = excluded.updated_at")) {
      for (String channel : channels) {
        ps.setString(1, UUID.randomUUID().toString());
        ps.setString(2, agentId);
        ps.setString(3, channel);
        ps.setString(4, BACKEND_TO_AGENT);
        ps.setBoolean(5, active);
        db.dialect().setInstant(ps, 6, now);
        db.dialect().setInstant(ps, 7, now);
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  /** Notes that the agent sent on {@code channel} (kept as is if the agent also subscribed to it). */
  public void recordUse(Connection c, String agentId, String channel) throws SQLException {
    Instant now = Instant.now();
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO communication_channels"
        + " (id, agent_id, channel_name, channel_type, is_active, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
        + " ON CONFLICT (agent_id, channel_name) DO NOTHING")) {
      ps.setString(1, UUID.randomUUID().toString());
      ps.setString(2, agentId);
      ps.setString(3, channel);
      ps.setString(4, AGENT_TO_BACKEND);
      ps.setBoolean(5, true);
      db.dialect().setInstant(ps, 6, now);
      db.dialect().setInstant(ps, 7, now);
      ps.executeUpdate();
    }
  }

  /** The channels the agent is subscribed to, by name. */
  public List<String> subscribed(String agentId) {
    return db.read(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT channel_name FROM communication_channels"
          + " WHERE agent_id = ? AND channel_type = ? AND is_active = ? ORDER BY channel_name")) {
        ps.setString(1, agentId);
        ps.setString(2, BACKEND_TO_AGENT);
        ps.setBoolean(3, true);
        List<String> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.add(rs.getString(1));
          }
        }
        return out;
      }
    });
  }

  /** A channel with how many agents subscribe to it and how many have sent on it. */
  public record ChannelSummary(String name, long subscribers, long senders) {}

  public List<ChannelSummary> summary() {
    return db.read(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT channel_name,"
          + " SUM(CASE WHEN channel_type = 'backend_to_agent' AND is_active = ? THEN 1 ELSE 0 END),"
          + " SUM(CASE WHEN channel_type = 'agent_to_backend' THEN 1 ELSE 0 END)"
          + " FROM communication_channels GROUP BY channel_name ORDER BY channel_name")) {
        ps.setBoolean(1, true);
        List<ChannelSummary> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.add(new ChannelSummary(rs.getString(1), rs.getLong(2), rs.getLong(3)));
          }
        }
        return out;
      }
    });
  }
}
