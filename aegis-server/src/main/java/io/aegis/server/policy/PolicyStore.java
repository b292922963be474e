package io.aegis.server.policy;

import com.fasterxml.jackson.databind.JsonNode;
import io.aegis.server.store.Database;
import io.aegis.server.store.JsonColumns;
import io.aegis.server.store.StoreException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Versioned policies: stores a new version on every update, answers the latest or any earlier
 * version, and resolves the policies in force for an agent (with {@link PolicyAssignments}).
 *
 * <p>Versions of one name are numbered 1, 2, 3… without gaps or duplicates even when updates race:
 * the next number is read and inserted in one transaction, and an insert that loses a race on
 * PostgreSQL (a unique violation on {@code (name, version)}) is retried with the next number.
 * SQLite serializes writers, so there it never races.
 *
 * <p>Thread-safe. Methods block on the store: call them from a worker thread.
 */
public final class PolicyStore {
  private static final Logger log = LoggerFactory.getLogger(PolicyStore.class);
  // Each retry round lets at least one racing writer win, so this bounds the wait under any
  // realistic contention (the pool holds at most a few dozen connections).
  private static final int MAX_VERSION_ATTEMPTS = 64;
  private static final String COLUMNS = "name, version, document, description, created_at";

  private final Database db;
  private final PolicyAssignments assignments;
  private final List<Consumer<PolicyChange>> listeners = new CopyOnWriteArrayList<>();

  public PolicyStore(Database db) {
    this.db = db;
    this.assignments = new PolicyAssignments(db, this::publish);
  }

  /** The assignments of policies to agents and labels. */
  public PolicyAssignments assignments() {
    return assignments;
  }

  /**
   * Registers {@code listener} for every change, called after the change committed, on the thread
   * that made it. A listener must not block for long; its exceptions are logged and ignored.
   */
  public void onChange(Consumer<PolicyChange> listener) {
    listeners.add(listener);
  }

  void publish(PolicyChange change) {
    for (Consumer<PolicyChange> listener : listeners) {
      try {
        listener.accept(change);
      } catch (RuntimeException e) {
        log.warn("policy change listener failed on {}: {}", change, e.toString());
      }
    }
  }

  /** Stores {@code document} as the next version of {@code name} (version 1 if it is new). */
  public PolicyVersion put(String name, JsonNode document, String description) {
    String json = JsonColumns.write(document);
    for (int attempt = 1; ; attempt++) {
      try {
        PolicyVersion stored = db.transaction(c -> insertNextVersion(c, name, json, description));
        publish(new PolicyChange(name, stored.version(), PolicyChange.Kind.VERSION_CREATED));
        return stored;
      } catch (StoreException e) {
        boolean lostRace = e.getCause() instanceof SQLException s && db.dialect().isUniqueViolation(s);
        if (!lostRace || attempt == MAX_VERSION_ATTEMPTS) {
          throw e;
        }
      }
    }
  }

  private PolicyVersion insertNextVersion(Connection c, String name, String json, String description)
      throws SQLException {
    int next;
    try (PreparedStatement ps = c.prepareStatement("SELECT COALESCE(MAX(version), 0) + 1 FROM policies WHERE name = ?")) {
      ps.setString(1, name);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        next = rs.getInt(1);
      }
    }
    // Millisecond precision is what SQLite keeps; truncating here makes both stores answer alike.
    Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO policies (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?)")) {
      ps.setString(1, name);
      ps.setInt(2, next);
      ps.setString(3, json);
      ps.setString(4, description);
      db.dialect().setInstant(ps, 5, now);
      ps.executeUpdate();
    }
    return new PolicyVersion(name, next, JsonColumns.read(json), description, now);
  }

  /** The latest version of {@code name}, if the policy exists. */
  public Optional<PolicyVersion> latest(String name) {
    return db.read(c -> one(c, "SELECT " + COLUMNS + " FROM policies WHERE name = ? ORDER BY version DESC LIMIT 1",
        ps -> ps.setString(1, name)));
  }

  /** One version of {@code name}, if it exists. */
  public Optional<PolicyVersion> version(String name, int version) {
    return db.read(c -> one(c, "SELECT " + COLUMNS + " FROM policies WHERE name = ? AND version = ?", ps -> {
      ps.setString(1, name);
      ps.setInt(2, version);
    }));
  }

  /** The latest version of each policy whose name sorts after {@code afterName} ("" for the first page), by name. */
  public List<PolicyVersion> listLatest(String afterName, int limit) {
    return db.read(c -> many(c, "SELECT " + COLUMNS + " FROM policies p WHERE p.name > ? "
        + "AND p.version = (SELECT MAX(v.version) FROM policies v WHERE v.name = p.name) ORDER BY p.name LIMIT ?", ps -> {
          ps.setString(1, afterName);
          ps.setInt(2, limit);
        }));
  }

  /** Versions of {@code name} below {@code beforeVersion}, newest first. */
  public List<PolicyVersion> history(String name, int beforeVersion, int limit) {
    return db.read(c -> many(c, "SELECT " + COLUMNS + " FROM policies WHERE name = ? AND version < ? "
        + "ORDER BY version DESC LIMIT ?", ps -> {
          ps.setString(1, name);
          ps.setInt(2, beforeVersion);
          ps.setInt(3, limit);
        }));
  }

  /** Whether any version of {@code name} exists. */
  public boolean exists(String name) {
    return db.read(c -> exists(c, name));
  }

  static boolean exists(Connection c, String name) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM policies WHERE name = ? LIMIT 1")) {
      ps.setString(1, name);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  /** Removes every version of {@code name} and its assignments; false if there was no such policy. */
  public boolean delete(String name) {
    int lastVersion = db.transaction(c -> {
      int last;
      try (PreparedStatement ps = c.prepareStatement("SELECT COALESCE(MAX(version), 0) FROM policies WHERE name = ?")) {
        ps.setString(1, name);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          last = rs.getInt(1);
        }
      }
      if (last == 0) {
        return 0;
      }
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM policy_assignments WHERE policy_name = ?")) {
        ps.setString(1, name);
        ps.executeUpdate();
      }
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM policies WHERE name = ?")) {
        ps.setString(1, name);
        ps.executeUpdate();
      }
      return last;
    });
    if (lastVersion == 0) {
      return false;
    }
    publish(new PolicyChange(name, lastVersion, PolicyChange.Kind.DELETED));
    return true;
  }

  /**
   * The policies in force for {@code agentId}: the latest version of every policy assigned to it
   * directly or through one of its labels. Empty if there is no such agent.
   */
  public Optional<EffectivePolicies> effectivePolicies(String agentId) {
    return db.read(c -> EffectivePolicyQuery.run(c, agentId));
  }

  private interface Binder {
    void bind(PreparedStatement ps) throws SQLException;
  }

  private Optional<PolicyVersion> one(Connection c, String sql, Binder binder) throws SQLException {
    List<PolicyVersion> rows = many(c, sql, binder);
    return rows.isEmpty() ? Optional.empty() : Optional.of(rows.get(0));
  }

  private List<PolicyVersion> many(Connection c, String sql, Binder binder) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      binder.bind(ps);
      try (ResultSet rs = ps.executeQuery()) {
        List<PolicyVersion> out = new ArrayList<>();
        while (rs.next()) {
          out.add(new PolicyVersion(rs.getString("name"), rs.getInt("version"), JsonColumns.read(rs.getString("document")),
              rs.getString("description"), db.dialect().getInstant(rs, "created_at")));
        }
        return out;
      }
    }
  }
}
