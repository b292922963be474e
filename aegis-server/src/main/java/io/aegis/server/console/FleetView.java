package io.aegis.server.console;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import io.aegis.server.api.ApiJson;
import io.aegis.server.registry.Labels;
import io.aegis.server.store.Database;
import io.aegis.server.store.Dialect;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The fleet as an operator looks at it: every registered agent joined with its connection, so
 * that one query answers "who is connected, over what, on which node, last seen when" for a page
 * of agents, and one more counts the agents in each state. Filters (state, id search, labels) run
 * in SQL and pages are keyset on the agent id, so the cost of a page does not grow with the
 * fleet; only {@link #summary} reads every matching row (its caller caches it).
 *
 * <p>Where the facts come from: the registry ({@code agents}, {@code agent_labels}); WebSocket
 * sessions of every node from the connections table ({@code CONNECTIONS_TABLE}, written as
 * sessions open and close); HTTP-polling agents from this node's pollers, which are not stored
 * (an agent polling another node shows as offline here until cluster presence exists).
 *
 * <p>Thread-safe; every method blocks on the store.
 */
final class FleetView {
  static final String CONNECTED = "connected";
  static final String OFFLINE = "offline";
  static final String INACTIVE = "inactive";
  static final List<String> STATES = List.of(CONNECTED, OFFLINE, INACTIVE);
  static final String WEBSOCKET = "websocket";
  static final String HTTP = "http";

  private static final TypeReference<Map<String, String>> LABELS = new TypeReference<>() {};

  /**
   * What to show: agents whose id contains {@code search} (ignoring case), carrying every label
   * of {@code labels}, and in {@code state} if given.
   */
  record Filter(Optional<String> search, List<Labels.Selector> labels, Optional<String> state) {
    /** The same filter without its state (what the counts by state are taken over). */
    Filter withoutState() {
      return new Filter(search, labels, Optional.empty());
    }
  }

  private final Database db;
  private final String connections;
  private final String nodeId;
  private final Supplier<Set<String>> pollers;

  /**
   * @param connections the connections table's name ({@code CONNECTIONS_TABLE})
   * @param nodeId      this node, shown as the node of the agents that poll it
   * @param pollers     the agents polling this node over HTTP now
   */
  FleetView(Database db, String connections, String nodeId, Supplier<Set<String>> pollers) {
    this.db = db;
    this.connections = connections;
    this.nodeId = nodeId;
    this.pollers = pollers;
  }

  /** Up to {@code limit + 1} agents after {@code afterId} in agent id order (the extra one tells that more follow). */
  List<FleetAgent> list(Filter filter, Optional<String> afterId, int limit) {
    Set<String> polling = pollers.get();
    Query q = listQuery(filter, afterId, polling);
    return read(q, select(q, listTail(limit)), polling);
  }

  /** The SQL text of {@link #list} (its query plan is tested). */
  String listSql(Filter filter, Optional<String> afterId, int limit, Set<String> polling) {
    return select(listQuery(filter, afterId, polling), listTail(limit));
  }

  private Query listQuery(Filter filter, Optional<String> afterId, Set<String> polling) {
    Query q = new Query(polling);
    q.where(filter);
    afterId.ifPresent(id -> q.and("a.agent_id > ?", id));
    return q;
  }

  private static String listTail(int limit) {
    return " ORDER BY a.agent_id LIMIT " + (limit + 1);
  }

  /** One agent, if it is registered. */
  Optional<FleetAgent> find(String agentId) {
    Set<String> polling = pollers.get();
    Query q = new Query(polling);
    q.and("a.agent_id = ?", agentId);
    return read(q, select(q, ""), polling).stream().findFirst();
  }

  /** How many agents match {@code filter} (its state ignored), by state and by transport. */
  FleetSummary summary(Filter filter, Instant now) {
    Set<String> polling = pollers.get();
    Query q = new Query(polling);
    q.where(filter.withoutState());
    // The bind order follows the text: the SELECT list's parameters come before the WHERE's.
    List<Object> selectArgs = new ArrayList<>(List.of(true));
    String http = "0";
    if (!polling.isEmpty()) {
      http = "SUM(CASE WHEN a.status = 'active' AND (c.is_active IS NULL OR c.is_active = ?) AND a.agent_id IN "
          + q.pollerSet() + " THEN 1 ELSE 0 END)";
      selectArgs.add(false);
      selectArgs.add(q.pollerJson());
    }
    String sql = "SELECT COUNT(*), SUM(CASE WHEN a.status = 'inactive' THEN 1 ELSE 0 END),"
        + " SUM(CASE WHEN a.status = 'active' AND c.is_active = ? THEN 1 ELSE 0 END), " + http
        + q.from() + q.where();
    List<Object> args = new ArrayList<>(selectArgs);
    args.addAll(q.args);
    return db.read(c -> {
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        bind(ps, args);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          long total = rs.getLong(1);
          long inactive = rs.getLong(2);
          long websocket = rs.getLong(3);
          long overHttp = rs.getLong(4);
          long connected = websocket + overHttp;
          return new FleetSummary(total,
              Map.of(CONNECTED, connected, OFFLINE, total - inactive - connected, INACTIVE, inactive),
              Map.of(WEBSOCKET, websocket, HTTP, overHttp), now);
        }
      }
    });
  }

  private String select(Query q, String tail) {
    return "SELECT a.agent_id, a.status, a.labels, c.is_active, c.connected_at, c.last_seen, "
        + db.dialect().jsonField("c.metadata", "node_id") + " AS node_id" + q.from() + q.where() + tail;
  }

  private List<FleetAgent> read(Query q, String sql, Set<String> polling) {
    Dialect dialect = db.dialect();
    Instant now = Instant.now();
    return db.read(c -> {
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        bind(ps, q.args);
        List<FleetAgent> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            String agentId = rs.getString("agent_id");
            String status = rs.getString("status");
            boolean session = rs.getBoolean("is_active");
            boolean polls = !session && polling.contains(agentId);
            String state = status.equals(INACTIVE) ? INACTIVE : session || polls ? CONNECTED : OFFLINE;
            String transport = state.equals(CONNECTED) ? (session ? WEBSOCKET : HTTP) : null;
            // A poller is seen at least every AEGIS_MAX_POLL_WAIT; its exact last poll is not kept.
            Instant lastSeen = polls ? now : dialect.getInstant(rs, "last_seen");
            out.add(new FleetAgent(agentId, status, state, transport,
                polls ? nodeId : rs.getString("node_id"), lastSeen,
                session && state.equals(CONNECTED) ? dialect.getInstant(rs, "connected_at") : null,
                labels(rs.getString("labels"))));
          }
        }
        return out;
      }
    });
  }

  private static Map<String, String> labels(String json) throws SQLException {
    try {
      return ApiJson.MAPPER.readValue(json, LABELS);
    } catch (JsonProcessingException e) {
      throw new SQLException("corrupt labels column", e);
    }
  }

  private static void bind(PreparedStatement ps, List<Object> args) throws SQLException {
    for (int i = 0; i < args.size(); i++) {
      ps.setObject(i + 1, args.get(i));
    }
  }

  /** The FROM and WHERE of a fleet query and their parameters, built up by filter. */
  private final class Query {
    private final StringBuilder where = new StringBuilder();
    private final List<Object> args = new ArrayList<>();
    private final Set<String> polling;

    Query(Set<String> polling) {
      this.polling = polling;
    }

    String from() {
      return " FROM agents a LEFT JOIN " + connections + " c ON c.agent_id = a.agent_id";
    }

    String where() {
      return where.isEmpty() ? "" : " WHERE" + where;
    }

    void and(String condition, Object... values) {
      where.append(where.isEmpty() ? " " : " AND ").append(condition);
      args.addAll(List.of(values));
    }

    void where(Filter filter) {
      filter.search().ifPresent(s -> and("LOWER(a.agent_id) LIKE ? ESCAPE '!'", "%" + likeEscaped(s) + "%"));
      for (Labels.Selector sel : filter.labels()) {
        and("EXISTS (SELECT 1 FROM agent_labels l WHERE l.agent_id = a.agent_id AND l.name = ? AND l.value = ?)",
            sel.name(), sel.value());
      }
      // A page is read by walking the agents' primary key until it is full. Most agents are
      // active and, in a live fleet, connected, so SQLite must not pick idx_agents_status or the
      // connections' is_active index here: it would read every such row and sort them, for every
      // page. Hence "not inactive" (the same rows: status is one or the other) and, on SQLite, the
      // unary + that keeps it off an index; PostgreSQL chooses from its statistics.
      filter.state().ifPresent(state -> {
        String isActive = db.dialect() == Dialect.SQLITE ? "+c.is_active" : "c.is_active";
        switch (state) {
          case INACTIVE -> and("a.status = 'inactive'");
          case CONNECTED -> {
            if (polling.isEmpty()) {
              and("a.status <> 'inactive' AND " + isActive + " = ?", true);
            } else {
              and("a.status <> 'inactive' AND (" + isActive + " = ? OR a.agent_id IN " + pollerSet() + ")", true, pollerJson());
            }
          }
          case OFFLINE -> {
            and("a.status <> 'inactive' AND (c.is_active IS NULL OR c.is_active = ?)", false);
            if (!polling.isEmpty()) {
              and("a.agent_id NOT IN " + pollerSet(), pollerJson());
            }
          }
          default -> throw new IllegalArgumentException("unknown state " + state);
        }
      });
    }

    /** A subquery over the pollers, bound as one JSON array: any number of ids in one parameter. */
    String pollerSet() {
      return db.dialect() == Dialect.SQLITE
          ? "(SELECT value FROM json_each(?))"
          : "(SELECT jsonb_array_elements_text(CAST(? AS jsonb)))";
    }

    String pollerJson() {
      return new String(ApiJson.write(List.copyOf(polling)), java.nio.charset.StandardCharsets.UTF_8);
    }
  }

  /** {@code s} lower-cased, with LIKE's wildcards and the escape character escaped by '!'. */
  static String likeEscaped(String s) {
    return s.toLowerCase(Locale.ROOT).replace("!", "!!").replace("%", "!%").replace("_", "!_");
  }
}
