package io.aegis.server.cluster;

import io.aegis.server.delivery.SweepScope;
import io.aegis.server.store.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The queue partitions this node sweeps, in a cluster: each partition ({@code <table>_p<i>}, or
 * the table itself when it is not partitioned) is leased to one live node at a time (table
 * {@code queue_partition_leases}); a lease lasts {@value #LEASE_SWEEPS} sweep intervals and each
 * sweep renews it. Every node holds about {@code partitions / live nodes} leases: it takes free
 * or expired ones when it holds fewer and gives back the rest when it holds more, so the work is
 * spread again when a node joins, and a node that dies stops renewing and its partitions are
 * taken by the others within {@value #LEASE_SWEEPS} sweep intervals.
 *
 * <p>While this node cannot hear the others (Redis unreachable), it sweeps every partition itself,
 * as a node alone does: what its sweep finds could not be told to another node anyway.
 *
 * <p>Thread-safe: called by the delivery engine's sweep, one at a time, on a worker thread.
 */
final class PartitionLeases implements SweepScope {
  private static final Logger log = LoggerFactory.getLogger(PartitionLeases.class);
  static final int LEASE_SWEEPS = 3;

  private final Database db;
  private final List<String> partitions;
  private final String nodeId;
  private final Duration leaseLength;
  private final IntSupplier liveNodes;
  private final BooleanSupplier connected;
  private volatile boolean shared;
  private volatile List<String> held = List.of();

  PartitionLeases(Database db, List<String> partitions, String nodeId, Duration sweepInterval, IntSupplier liveNodes,
                  BooleanSupplier connected) {
    this.db = db;
    this.partitions = List.copyOf(partitions);
    this.nodeId = nodeId;
    this.leaseLength = sweepInterval.multipliedBy(LEASE_SWEEPS);
    this.liveNodes = liveNodes;
    this.connected = connected;
    db.transaction(c -> {
      for (String part : this.partitions) {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO queue_partition_leases (part, node_id, expires_at)"
            + " VALUES (?, NULL, ?) ON CONFLICT (part) DO NOTHING")) {
          ps.setString(1, part);
          db.dialect().setInstant(ps, 2, Instant.EPOCH);
          ps.executeUpdate();
        }
      }
      return null;
    });
  }

  /**
   * The partitions of {@code table} on this database: its hash partitions in order, or the table
   * itself when it is not partitioned.
   */
  static List<String> of(Database db, String table) {
    List<String> parts = db.read(c -> {
      List<String> out = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement("SELECT c.relname FROM pg_inherits i"
          + " JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass(?)")) {
        ps.setString(1, table);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.add(rs.getString(1));
          }
        }
      }
      return out;
    });
    if (parts.isEmpty()) {
      return List.of(table);
    }
    // <table>_p0, <table>_p1, ... in the order of their numbers.
    parts.sort(java.util.Comparator.comparingInt(p -> Integer.parseInt(p.substring(p.lastIndexOf("_p") + 2))));
    return parts;
  }

  @Override
  public boolean shared() {
    return shared;
  }

  @Override
  public List<String> claim() {
    if (!connected.getAsBoolean()) {
      shared = false;
      return partitions;
    }
    int share = (partitions.size() + Math.max(1, liveNodes.getAsInt()) - 1) / Math.max(1, liveNodes.getAsInt());
    try {
      List<String> mine = db.transaction(c -> rebalance(c, share));
      if (!mine.equals(held)) {
        log.info("sweeping {} of {} queue partitions", mine.size(), partitions.size());
      }
      held = mine;
      shared = true;
      return mine;
    } catch (RuntimeException e) {
      // The store is failing: this sweep will fail on its own; sweep what was held.
      log.warn("cannot renew queue partition leases: {}", e.getMessage());
      return held;
    }
  }

  /** Renews this node's leases, gives back those beyond {@code share}, takes free ones up to it. */
  private List<String> rebalance(Connection c, int share) throws SQLException {
    Instant now = Instant.now();
    Instant until = now.plus(leaseLength);
    List<String> mine = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement("UPDATE queue_partition_leases SET expires_at = ?"
        + " WHERE node_id = ? RETURNING part")) {
      db.dialect().setInstant(ps, 1, until);
      ps.setString(2, nodeId);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          mine.add(rs.getString(1));
        }
      }
    }
    mine.sort(java.util.Comparator.comparingInt(partitions::indexOf));
    while (mine.size() > share) {
      String extra = mine.remove(mine.size() - 1);
      try (PreparedStatement ps = c.prepareStatement("UPDATE queue_partition_leases SET node_id = NULL, expires_at = ?"
          + " WHERE part = ? AND node_id = ?")) {
        db.dialect().setInstant(ps, 1, Instant.EPOCH);
        ps.setString(2, extra);
        ps.setString(3, nodeId);
        ps.executeUpdate();
      }
    }
    if (mine.size() < share) {
      // Free or expired leases; SKIP LOCKED: two nodes taking at the same moment never take the same one.
      try (PreparedStatement ps = c.prepareStatement("UPDATE queue_partition_leases SET node_id = ?, expires_at = ?"
          + " WHERE part IN (SELECT part FROM queue_partition_leases WHERE node_id IS NULL OR expires_at < ?"
          + " ORDER BY part LIMIT ? FOR UPDATE SKIP LOCKED) RETURNING part")) {
        ps.setString(1, nodeId);
        db.dialect().setInstant(ps, 2, until);
        db.dialect().setInstant(ps, 3, now);
        ps.setInt(4, share - mine.size());
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            mine.add(rs.getString(1));
          }
        }
      }
    }
    mine.retainAll(partitions);
    mine.sort(java.util.Comparator.comparingInt(partitions::indexOf));
    return List.copyOf(mine);
  }
}
