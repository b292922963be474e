package io.aegis.server.delivery;

import io.aegis.server.api.ApiException;
import io.aegis.server.cluster.Presence;
import io.aegis.server.config.Config;
import io.aegis.server.registry.Labels;
import io.aegis.server.store.Database;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Who a broadcast reaches: every active agent, those with all of some labels, the subscribers of
 * its channel, or a list of agent ids (inactive and unknown ones are left out); which of them are
 * connected (on any node); and whose queue is already full.
 *
 * <p>Thread-safe; blocking (store reads).
 */
public final class Recipients {
  static final int MAX_AGENT_IDS = 100_000;

  private final Database db;
  private final Config config;
  private final Presence presence;

  public Recipients(Database db, Config config, Presence presence) {
    this.db = db;
    this.config = config;
    this.presence = presence;
  }

  List<String> resolve(MessageRoutes.Target target, String channel) {
    int given = target == null ? 0 : (Boolean.TRUE.equals(target.all()) ? 1 : 0)
        + (target.labels() != null ? 1 : 0) + (Boolean.TRUE.equals(target.subscribers()) ? 1 : 0)
        + (target.agentIds() != null ? 1 : 0);
    if (given > 1) {
      throw ApiException.invalid("target takes one of all, labels, subscribers or agent_ids");
    }
    if (target == null || given == 0 || Boolean.TRUE.equals(target.all())) {
      return ids("SELECT agent_id FROM agents WHERE status = 'active' ORDER BY agent_id", List.of());
    }
    if (target.labels() != null) {
      Map<String, String> labels = Labels.validate(target.labels());
      if (labels.isEmpty()) {
        throw ApiException.invalid("target.labels must name at least one label");
      }
      StringBuilder sql = new StringBuilder("SELECT a.agent_id FROM agents a WHERE a.status = 'active'");
      List<Object> args = new ArrayList<>();
      for (var e : labels.entrySet()) {
        sql.append(" AND EXISTS (SELECT 1 FROM agent_labels l WHERE l.agent_id = a.agent_id AND l.name = ? AND l.value = ?)");
        args.add(e.getKey());
        args.add(e.getValue());
      }
      return ids(sql.append(" ORDER BY a.agent_id").toString(), args);
    }
    if (Boolean.TRUE.equals(target.subscribers())) {
      return ids("SELECT c.agent_id FROM communication_channels c JOIN agents a ON a.agent_id = c.agent_id"
          + " WHERE c.channel_name = ? AND c.channel_type = 'backend_to_agent' AND c.is_active = ?"
          + " AND a.status = 'active' ORDER BY c.agent_id", List.of(channel, true));
    }
    if (target.agentIds().isEmpty() || target.agentIds().size() > MAX_AGENT_IDS) {
      throw ApiException.invalid("target.agent_ids must list 1 to " + MAX_AGENT_IDS + " agents");
    }
    for (String id : target.agentIds()) {
      String error = id == null ? "an agent id is null" : io.aegis.protocol.Identifiers.agentIdError(id);
      if (error != null) {
        throw ApiException.invalid("target.agent_ids: " + error);
      }
    }
    Set<String> wanted = new LinkedHashSet<>(target.agentIds());
    Set<String> active = new HashSet<>(ids("SELECT agent_id FROM agents WHERE status = 'active'", List.of()));
    wanted.retainAll(active);
    return List.copyOf(wanted);
  }

  /**
   * Which of {@code targets} have a live session on any node: where presence knows one, or the
   * connections table (written by every node for its WebSocket sessions) shows one.
   */
  java.util.concurrent.CompletableFuture<Set<String>> connected(List<String> targets) {
    Set<String> table = new HashSet<>(ids("SELECT agent_id FROM " + config.connectionsTable()
        + " WHERE is_active = ?", List.of(true)));
    return presence.locateAll(targets).thenApply(located -> {
      table.addAll(located.keySet());
      return table;
    });
  }

  /** Agents whose undelivered backlog is at MESSAGE_QUEUE_SIZE. */
  Set<String> withFullQueue() {
    return new HashSet<>(ids("SELECT agent_id FROM " + config.messageQueueTable()
        + " WHERE status IN ('pending', 'sent') GROUP BY agent_id HAVING COUNT(*) >= " + config.messageQueueSize(),
        List.of()));
  }

  /** Every agent carrying the label {@code name=value} (an operator token's selector). */
  Set<String> labelled(String name, String value) {
    return new HashSet<>(ids("SELECT agent_id FROM agent_labels WHERE name = ? AND value = ?", List.of(name, value)));
  }

  private List<String> ids(String sql, List<Object> args) {
    return db.read(c -> {
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        for (int i = 0; i < args.size(); i++) {
          ps.setObject(i + 1, args.get(i));
        }
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
}
