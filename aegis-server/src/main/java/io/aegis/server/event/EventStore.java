package io.aegis.server.event;

import io.aegis.server.api.ApiException;
import io.aegis.server.store.Database;
import io.aegis.server.store.JsonColumns;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The event store: agents append batches of events (over REST now, over the WebSocket
 * {@code events} channel later); operators read them back by agent, type and time.
 *
 * <p>A batch is validated as a whole before anything is written, then stored in one transaction:
 * either every event of it is stored or none is. Times are kept to the millisecond.
 *
 * <p>Thread-safe. Methods block on the store: call them from a worker thread.
 */
public final class EventStore {
  /** The most events one batch may carry. */
  public static final int MAX_BATCH = 1000;
  /** The syntax of an event type. */
  public static final Pattern TYPE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,127}");

  private final Database db;

  public EventStore(Database db) {
    this.db = db;
  }

  /**
   * Validates and stores {@code events} reported by {@code agentId}.
   *
   * @return how many were stored (all of them)
   * @throws ApiException 400 if the batch is empty or an event is invalid (the message names it),
   *     413 if it holds more than {@link #MAX_BATCH} events; nothing is stored then
   */
  public int append(String agentId, List<Event> events) {
    checkBatchSize(events.size());
    List<String> bodies = new ArrayList<>(events.size());
    for (int i = 0; i < events.size(); i++) {
      Event e = events.get(i);
      if (e.type() == null || !TYPE.matcher(e.type()).matches()) {
        throw ApiException.invalid("events[" + i + "].type must be 1-128 characters of letters, digits, "
            + "'.', '_', ':' and '-', starting with a letter or digit");
      }
      if (e.timestamp() == null) {
        throw ApiException.invalid("events[" + i + "].timestamp is required");
      }
      if (e.body() == null || !e.body().isObject()) {
        throw ApiException.invalid("events[" + i + "].body is required and must be a JSON object");
      }
      bodies.add(JsonColumns.write(e.body()));
    }
    Instant received = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    db.transaction(c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "INSERT INTO events (agent_id, type, occurred_at, received_at, body) VALUES (?, ?, ?, ?, ?)")) {
        for (int i = 0; i < events.size(); i++) {
          Event e = events.get(i);
          ps.setString(1, agentId);
          ps.setString(2, e.type());
          db.dialect().setInstant(ps, 3, e.timestamp().truncatedTo(ChronoUnit.MILLIS));
          db.dialect().setInstant(ps, 4, received);
          ps.setString(5, bodies.get(i));
          ps.addBatch();
        }
        ps.executeBatch();
      }
      return null;
    });
    return events.size();
  }

  /** 400 for an empty batch, 413 for one larger than {@link #MAX_BATCH}. */
  static void checkBatchSize(int size) {
    if (size == 0) {
      throw ApiException.invalid("a batch needs at least one event");
    }
    if (size > MAX_BATCH) {
      throw ApiException.tooLarge("a batch holds at most " + MAX_BATCH + " events, this one " + size
          + "; send them in several batches");
    }
  }

  /** Events matching {@code filter}, newest first (ties by id, newest first). */
  public List<StoredEvent> query(EventFilter filter) {
    StringBuilder sql = new StringBuilder(
        "SELECT id, agent_id, type, occurred_at, received_at, body FROM events WHERE 1 = 1");
    List<Binding> args = new ArrayList<>();
    filter.agentId().ifPresent(a -> {
      sql.append(" AND agent_id = ?");
      args.add((ps, i) -> ps.setString(i, a));
    });
    filter.type().ifPresent(t -> {
      sql.append(" AND type = ?");
      args.add((ps, i) -> ps.setString(i, t));
    });
    filter.since().ifPresent(s -> {
      sql.append(" AND occurred_at >= ?");
      args.add((ps, i) -> db.dialect().setInstant(ps, i, s));
    });
    filter.until().ifPresent(u -> {
      sql.append(" AND occurred_at < ?");
      args.add((ps, i) -> db.dialect().setInstant(ps, i, u));
    });
    filter.after().ifPresent(p -> {
      sql.append(" AND (occurred_at < ? OR (occurred_at = ? AND id < ?))");
      args.add((ps, i) -> db.dialect().setInstant(ps, i, p.timestamp()));
      args.add((ps, i) -> db.dialect().setInstant(ps, i, p.timestamp()));
      args.add((ps, i) -> ps.setLong(i, p.id()));
    });
    sql.append(" ORDER BY occurred_at DESC, id DESC LIMIT ?");
    args.add((ps, i) -> ps.setInt(i, filter.limit()));
    return db.read(c -> {
      try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
        for (int i = 0; i < args.size(); i++) {
          args.get(i).bind(ps, i + 1);
        }
        try (ResultSet rs = ps.executeQuery()) {
          List<StoredEvent> out = new ArrayList<>();
          while (rs.next()) {
            out.add(new StoredEvent(Long.toString(rs.getLong("id")), rs.getString("agent_id"), rs.getString("type"),
                db.dialect().getInstant(rs, "occurred_at"), db.dialect().getInstant(rs, "received_at"),
                JsonColumns.read(rs.getString("body"))));
          }
          return out;
        }
      }
    });
  }

  private interface Binding {
    void bind(PreparedStatement ps, int index) throws SQLException;
  }
}
