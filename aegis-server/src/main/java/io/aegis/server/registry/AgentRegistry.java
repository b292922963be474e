package io.aegis.server.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import io.aegis.server.api.ApiException;
import io.aegis.server.api.ApiJson;
import io.aegis.server.auth.AgentSessions;
import io.aegis.server.store.Database;
import io.aegis.server.store.Dialect;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The agent registry: who may connect, with which identity key, and with which labels.
 *
 * <p>Thread-safe; every method blocks on the store. Listeners are told of changes after they
 * commit (the gateway closes a deactivated agent's live session; policy push re-evaluates labels).
 */
public final class AgentRegistry {
  private static final TypeReference<Map<String, String>> LABELS = new TypeReference<>() {};
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(AgentRegistry.class);

  /** Told of registry changes after they commit. Methods must not block for long. */
  public interface Listener {
    default void onDeactivated(String agentId) {}

    default void onDeleted(String agentId) {}

    default void onLabelsChanged(String agentId) {}

    default void onKeyRotated(String agentId) {}
  }

  /** A filter for {@link #list}: every selector must match; status may be empty for any. */
  public record Filter(List<Labels.Selector> labels, Optional<String> status) {}

  private final Database db;
  private final AgentSessions sessions;
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();
  private final PublicKeyCache keyCache = new PublicKeyCache(200_000);
  static final long STATUS_TTL_MILLIS = 2000;
  // agent id -> {1 active or 0 inactive, when read (nanoTime)}
  private final Map<String, long[]> statusCache = new java.util.LinkedHashMap<>(1024, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, long[]> eldest) {
      return size() > 200_000;
    }
  };

  public AgentRegistry(Database db, AgentSessions sessions) {
    this.db = db;
    this.sessions = sessions;
  }

  public void addListener(Listener listener) {
    listeners.add(listener);
  }

  /**
   * Registers a new agent, in the caller's transaction if {@code c} is given.
   *
   * @throws ApiException 409 {@code already_exists} if the id is taken
   */
  public Agent register(Connection c, String agentId, String publicKey, JsonNode metadata,
                        Map<String, String> labels, String enrolledBy) throws SQLException {
    Instant now = now();
    Dialect d = db.dialect();
    try (PreparedStatement ps = c.prepareStatement(
        "INSERT INTO agents (agent_id, public_key, status, metadata, labels, enrolled_by, created_at, updated_at) "
            + "VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
      ps.setString(1, agentId);
      ps.setString(2, publicKey);
      ps.setString(3, Agent.ACTIVE);
      ps.setString(4, json(metadata));
      ps.setString(5, json(labels));
      ps.setString(6, enrolledBy);
      d.setInstant(ps, 7, now);
      d.setInstant(ps, 8, now);
      ps.executeUpdate();
    } catch (SQLException e) {
      if (d.isUniqueViolation(e)) {
        throw ApiException.conflict("already_exists", "agent '" + agentId + "' is already registered");
      }
      throw e;
    }
    insertLabels(c, agentId, labels);
    return new Agent(agentId, publicKey, Agent.ACTIVE, metadata, labels, enrolledBy, now, now, null);
  }

  public Agent register(String agentId, String publicKey, JsonNode metadata, Map<String, String> labels) {
    return db.transaction(c -> register(c, agentId, publicKey, metadata, labels, "operator"));
  }

  public Optional<Agent> find(String agentId) {
    return db.read(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT * FROM agents WHERE agent_id = ?")) {
        ps.setString(1, agentId);
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next() ? Optional.of(map(rs)) : Optional.empty();
        }
      }
    });
  }

  public Agent get(String agentId) {
    return find(agentId).orElseThrow(() -> notFound(agentId));
  }

  /**
   * The registered key of an active agent, parsed (through a cache: a parse validates the point
   * and costs more than a signature check); empty for unknown and inactive agents alike.
   */
  public Optional<io.aegis.protocol.IdentityPublicKey> activeIdentityKey(String agentId) {
    return activePublicKey(agentId).map(keyCache::parse);
  }

  /** The registered key of an active agent; empty for unknown and inactive agents alike. */
  public Optional<String> activePublicKey(String agentId) {
    return db.read(c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT public_key FROM agents WHERE agent_id = ? AND status = 'active'")) {
        ps.setString(1, agentId);
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
        }
      }
    });
  }

  /**
   * Agents matching the filter, ordered by id, starting after {@code afterId} (keyset pagination).
   * Returns up to {@code limit + 1} rows so the caller can tell whether there is a next page.
   */
  public List<Agent> list(Filter filter, Optional<String> afterId, int limit) {
    StringBuilder sql = new StringBuilder("SELECT a.* FROM agents a WHERE 1 = 1");
    List<String> args = new ArrayList<>();
    filter.status().ifPresent(s -> {
      sql.append(" AND a.status = ?");
      args.add(s);
    });
    for (Labels.Selector sel : filter.labels()) {
      sql.append(" AND EXISTS (SELECT 1 FROM agent_labels l WHERE l.agent_id = a.agent_id AND l.name = ? AND l.value = ?)");
      args.add(sel.name());
      args.add(sel.value());
    }
    afterId.ifPresent(id -> {
      sql.append(" AND a.agent_id > ?");
      args.add(id);
    });
    sql.append(" ORDER BY a.agent_id LIMIT ").append(limit + 1);
    return db.read(c -> {
      try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
        for (int i = 0; i < args.size(); i++) {
          ps.setString(i + 1, args.get(i));
        }
        List<Agent> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.add(map(rs));
          }
        }
        return out;
      }
    });
  }

  /** Replaces metadata and/or labels (whichever is given). */
  public Agent update(String agentId, Optional<JsonNode> metadata, Optional<Map<String, String>> labels) {
    db.transaction(c -> {
      Instant now = now();
      StringBuilder sql = new StringBuilder("UPDATE agents SET updated_at = ?");
      metadata.ifPresent(m -> sql.append(", metadata = ?"));
      labels.ifPresent(l -> sql.append(", labels = ?"));
      sql.append(" WHERE agent_id = ?");
      try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
        int i = 1;
        db.dialect().setInstant(ps, i++, now);
        if (metadata.isPresent()) {
          ps.setString(i++, json(metadata.get()));
        }
        if (labels.isPresent()) {
          ps.setString(i++, json(labels.get()));
        }
        ps.setString(i, agentId);
        if (ps.executeUpdate() == 0) {
          throw notFound(agentId);
        }
      }
      if (labels.isPresent()) {
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM agent_labels WHERE agent_id = ?")) {
          ps.setString(1, agentId);
          ps.executeUpdate();
        }
        insertLabels(c, agentId, labels.get());
      }
      return null;
    });
    if (labels.isPresent()) {
      tell(l -> l.onLabelsChanged(agentId));
    }
    return get(agentId);
  }

  /**
   * Sets an agent active or inactive. Deactivation revokes its session tokens in the same
   * transaction and then tells listeners, which close its live session.
   */
  public Agent setStatus(String agentId, String status) {
    db.transaction(c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "UPDATE agents SET status = ?, updated_at = ? WHERE agent_id = ?")) {
        ps.setString(1, status);
        db.dialect().setInstant(ps, 2, now());
        ps.setString(3, agentId);
        if (ps.executeUpdate() == 0) {
          throw notFound(agentId);
        }
      }
      if (Agent.INACTIVE.equals(status)) {
        sessions.revokeAll(c, agentId, AgentSessions.Revocation.AGENT_REVOKED);
      }
      return null;
    });
    forgetStatus(agentId);
    if (Agent.INACTIVE.equals(status)) {
      tell(l -> l.onDeactivated(agentId));
    }
    return get(agentId);
  }

  /**
   * Replaces an active agent's identity key, if it is still {@code expectedOldKey} (compare and
   * set: of two concurrent rotations one wins), sets {@code key_rotated_at}, and revokes the
   * agent's session tokens in the same transaction; then tells listeners, which close its live
   * session so that it handshakes again with the new key.
   *
   * @throws ApiException 409 {@code key_changed} if the registered key is no longer {@code expectedOldKey}
   *     or the agent is not active, 404 if it is not registered
   */
  public Agent rotateKey(String agentId, String expectedOldKey, String newKey) {
    db.transaction(c -> {
      Instant now = Instant.now();
      try (PreparedStatement ps = c.prepareStatement("UPDATE agents SET public_key = ?, key_rotated_at = ?, updated_at = ? "
          + "WHERE agent_id = ? AND public_key = ? AND status = ?")) {
        ps.setString(1, newKey);
        db.dialect().setInstant(ps, 2, now);
        db.dialect().setInstant(ps, 3, now);
        ps.setString(4, agentId);
        ps.setString(5, expectedOldKey);
        ps.setString(6, Agent.ACTIVE);
        if (ps.executeUpdate() == 0) {
          try (PreparedStatement q = c.prepareStatement("SELECT 1 FROM agents WHERE agent_id = ?")) {
            q.setString(1, agentId);
            try (ResultSet rs = q.executeQuery()) {
              if (!rs.next()) {
                throw notFound(agentId);
              }
            }
          }
          throw ApiException.conflict("key_changed", "the agent's key changed (or it was deactivated) meanwhile");
        }
      }
      sessions.revokeAll(c, agentId, AgentSessions.Revocation.KEY_ROTATED);
      return null;
    });
    listeners.forEach(l -> l.onKeyRotated(agentId));
    return get(agentId);
  }

  /** Deletes an agent, its labels and sessions; its events stay for audit. */
  public void delete(String agentId) {
    db.transaction(c -> {
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM agent_labels WHERE agent_id = ?")) {
        ps.setString(1, agentId);
        ps.executeUpdate();
      }
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM agent_sessions WHERE agent_id = ?")) {
        ps.setString(1, agentId);
        ps.executeUpdate();
      }
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM agents WHERE agent_id = ?")) {
        ps.setString(1, agentId);
        if (ps.executeUpdate() == 0) {
          throw notFound(agentId);
        }
      }
      return null;
    });
    forgetStatus(agentId);
    tell(l -> l.onDeleted(agentId));
  }

  /**
   * Whether the agent exists and is active, from a cache that this node clears on every change it
   * makes and that otherwise trusts an answer for {@value #STATUS_TTL_MILLIS} ms (a change made on
   * another node shows after at most that long). For the send path, which asks per message.
   */
  public Optional<Boolean> isActive(String agentId) {
    long now = System.nanoTime();
    synchronized (statusCache) {
      long[] hit = statusCache.get(agentId);
      if (hit != null && now - hit[1] < STATUS_TTL_MILLIS * 1_000_000L) {
        return Optional.of(hit[0] == 1);
      }
    }
    Optional<Boolean> status = find(agentId).map(Agent::isActive);
    // Unknown agents are not remembered: one registered a moment later must be found at once.
    status.ifPresent(active -> {
      synchronized (statusCache) {
        statusCache.put(agentId, new long[] {active ? 1L : 0L, now});
      }
    });
    return status;
  }

  /**
   * Forgets what this node cached about {@code agentId} (its status), after a change made through
   * another node: the next look reads the store.
   */
  public void forgetCached(String agentId) {
    forgetStatus(agentId);
  }

  private void forgetStatus(String agentId) {
    synchronized (statusCache) {
      statusCache.remove(agentId);
    }
  }

  /** Tells every listener; one that fails is logged and never fails the committed write. */
  private void tell(java.util.function.Consumer<Listener> event) {
    for (Listener l : listeners) {
      try {
        event.accept(l);
      } catch (RuntimeException e) {
        log.warn("registry listener {} failed: {}", l, e.toString());
      }
    }
  }

  /** Times are kept to the millisecond, the precision both stores share, so an answer and a later read agree. */
  static Instant now() {
    return Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
  }

  private void insertLabels(Connection c, String agentId, Map<String, String> labels) throws SQLException {
    if (labels.isEmpty()) {
      return;
    }
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO agent_labels (agent_id, name, value) VALUES (?, ?, ?)")) {
      for (var e : labels.entrySet()) {
        ps.setString(1, agentId);
        ps.setString(2, e.getKey());
        ps.setString(3, e.getValue());
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  private Agent map(ResultSet rs) throws SQLException {
    Dialect d = db.dialect();
    try {
      return new Agent(
          rs.getString("agent_id"),
          rs.getString("public_key"),
          rs.getString("status"),
          ApiJson.MAPPER.readTree(rs.getString("metadata")),
          ApiJson.MAPPER.readValue(rs.getString("labels"), LABELS),
          rs.getString("enrolled_by"),
          d.getInstant(rs, "created_at"),
          d.getInstant(rs, "updated_at"),
          d.getInstant(rs, "key_rotated_at"));
    } catch (JsonProcessingException e) {
      throw new SQLException("corrupt JSON in agents row " + rs.getString("agent_id"), e);
    }
  }

  private static String json(Object value) {
    return new String(ApiJson.write(value), java.nio.charset.StandardCharsets.UTF_8);
  }

  static ApiException notFound(String agentId) {
    return ApiException.notFound("agent '" + agentId + "' is not registered");
  }
}
