package io.aegis.server.audit;

import com.fasterxml.jackson.databind.JsonNode;
import io.aegis.protocol.BackendKeyRing;
import io.aegis.protocol.IdentityKeyPair;
import io.aegis.server.api.ApiJson;
import io.aegis.server.api.Auditor;
import io.aegis.server.store.Database;
import io.aegis.server.store.WriteBatcher;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The audit log ({@code audit_log}): every state-changing request of an operator token, whatever
 * its outcome, appended through the node's group commit before the request is answered.
 *
 * <p>Append-only and hash-chained: an append locks {@code audit_head} (the last seq and hash),
 * so the nodes of a cluster extend one chain in one order, and each entry's hash covers the one
 * before. Every {@code AEGIS_AUDIT_SIGN_INTERVAL} the chain's head is signed with the backend
 * identity key ({@code audit_checkpoints}), so that rewriting the whole chain from some entry on
 * is caught too ({@link AuditVerifier}).
 */
public final class AuditLog implements Auditor {
  private static final Logger log = LoggerFactory.getLogger(AuditLog.class);

  private final Database db;
  private final WriteBatcher batcher;
  private final String nodeId;
  private final Counter failures;
  private final Duration deadline;

  /**
   * @param deadline how long an entry may wait for the store ({@code AEGIS_REQUEST_DEADLINE}): an
   *     answer is never held longer than that for its entry; one that misses it is logged and
   *     counted ({@code aegis_audit_failures_total})
   */
  public AuditLog(Database db, WriteBatcher batcher, String nodeId, Duration deadline, MeterRegistry metrics) {
    this.db = db;
    this.deadline = deadline;
    this.batcher = batcher;
    this.nodeId = nodeId;
    this.failures = Counter.builder("aegis.audit.failures")
        .description("Operator actions that could not be written to the audit log")
        .register(metrics);
  }

  /** An entry waiting for the next append, with when it must be durable by and who waits for it. */
  private record Pending(AuditEntry draft, long deadlineNanos, CompletableFuture<Void> done) {}

  private final ConcurrentLinkedQueue<Pending> pending = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean appendQueued = new AtomicBoolean();

  @Override
  public CompletionStage<Void> record(Action a) {
    Pending p = new Pending(draft(a, messageIds(a.answer())), System.nanoTime() + deadline.toNanos(),
        new CompletableFuture<>());
    pending.add(p);
    if (appendQueued.compareAndSet(false, true)) {
      queueAppend();
    }
    return p.done().handle((v, err) -> {
      if (err != null) {
        failures.increment();
        log.error("audit: could not record {} by token {} ({}): {}", a.action(), a.operator().tokenId(),
            a.status(), String.valueOf(err.getCause() != null ? err.getCause() : err));
      }
      return null;
    });
  }

  @Override
  public void recordIn(Connection c, Action a, List<String> messageIds) {
    appends(c).add(draft(a, messageIds));
  }

  private AuditEntry draft(Action a, java.util.Collection<String> messageIds) {
    return new AuditEntry(0, System.currentTimeMillis(), nodeId, a.operator().tokenId(), a.operator().name(),
        a.address(), a.action(), truncate(a.resource(), 600), a.status(), a.errorCode(), String.join(",", messageIds),
        AuditEntry.digest(a.body()), null, null);
  }

  /**
   * The entries to append at the end of the transaction of {@code c}: those of requests that
   * wrote theirs in their own transaction, and those pending here when it ran. Entries of one
   * group commit share one lock of the head, one JDBC batch and one commit, instead of three
   * statements each.
   */
  private List<AuditEntry> appends(Connection c) {
    return batcher.tail(c, this, Appends::new).drafts;
  }

  private final class Appends implements WriteBatcher.Tail {
    final List<AuditEntry> drafts = new ArrayList<>();

    @Override
    public void run(Connection c) throws SQLException {
      appendAll(c, drafts);
    }
  }

  /** Queues one write that adds every entry pending when it runs to its transaction's appends. */
  private void queueAppend() {
    List<Pending> taken = new ArrayList<>();
    batcher.submit(c -> {
      // Run again after a failed group commit: what was taken then is appended now, with the rest.
      appendQueued.set(false);
      for (Pending p; (p = pending.poll()) != null; ) {
        taken.add(p);
      }
      long now = System.nanoTime();
      taken.removeIf(p -> {
        if (now - p.deadlineNanos() > 0) {
          p.done().completeExceptionally(new io.aegis.server.store.DeadlineExceeded());
          return true;
        }
        return false;
      });
      if (!taken.isEmpty()) {
        List<AuditEntry> appends = appends(c);
        taken.forEach(p -> appends.add(p.draft()));
      }
      return taken.size();
    }).whenComplete((n, err) -> taken.forEach(p -> {
      if (err == null) {
        p.done().complete(null);
      } else {
        p.done().completeExceptionally(err);
      }
    }));
  }

  /** Appends {@code drafts}, in order, after the chain's head, in the caller's transaction. */
  private void appendAll(Connection c, List<AuditEntry> drafts) throws SQLException {
    if (drafts.isEmpty()) {
      return;
    }
    long seq;
    String prev;
    try (PreparedStatement ps = c.prepareStatement("SELECT seq, hash FROM audit_head WHERE id = 1"
        + db.dialect().forUpdate())) {
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          throw new SQLException("audit_head has no row: the audit log's migration did not run");
        }
        seq = rs.getLong(1);
        prev = rs.getString(2);
      }
    }
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO audit_log (seq, at_ms, node_id, token_id, token_name, "
        + "address, action, resource, status, error_code, message_ids, body_digest, prev_hash, hash) "
        + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
      for (AuditEntry d : drafts) {
        AuditEntry e = new AuditEntry(++seq, d.atMillis(), d.nodeId(), d.tokenId(), d.tokenName(), d.address(),
            d.action(), d.resource(), d.status(), d.errorCode(), d.messageIds(), d.bodyDigest(), prev, null).sealed();
        ps.setLong(1, e.seq());
        ps.setLong(2, e.atMillis());
        ps.setString(3, e.nodeId());
        ps.setString(4, e.tokenId());
        ps.setString(5, e.tokenName());
        ps.setString(6, e.address());
        ps.setString(7, e.action());
        ps.setString(8, e.resource());
        ps.setInt(9, e.status());
        ps.setString(10, e.errorCode());
        ps.setString(11, e.messageIds());
        ps.setString(12, e.bodyDigest());
        ps.setString(13, e.prevHash());
        ps.setString(14, e.hash());
        ps.addBatch();
        prev = e.hash();
      }
      ps.executeBatch();
    }
    try (PreparedStatement ps = c.prepareStatement("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1")) {
      ps.setLong(1, seq);
      ps.setString(2, prev);
      ps.executeUpdate();
    }
  }

  /** The message ids an answer names: its own {@code message_id}, and those of its results (a batch, an approval). */
  static Set<String> messageIds(byte[] answer) {
    Set<String> ids = new LinkedHashSet<>();
    if (answer != null && answer.length > 0) {
      try {
        collect(ApiJson.tree(answer), ids, 0);
      } catch (RuntimeException notJson) {
        // An answer that is not JSON (an artifact's bytes) names no message.
      }
    }
    return ids;
  }

  private static void collect(JsonNode node, Set<String> ids, int depth) {
    if (depth > 4) {
      return;
    }
    if (node.isObject()) {
      JsonNode id = node.get("message_id");
      if (id != null && id.isTextual()) {
        ids.add(id.asText());
      }
      node.properties().forEach(f -> {
        if (f.getValue().isContainerNode()) {
          collect(f.getValue(), ids, depth + 1);
        }
      });
    } else if (node.isArray()) {
      node.forEach(n -> collect(n, ids, depth + 1));
    }
  }

  private static String truncate(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max);
  }

  /** What {@code GET /api/v1/audit} filters on. */
  public record Query(Optional<String> tokenId, Optional<String> action, Optional<String> messageId,
                      Optional<Long> sinceMillis, Optional<Long> untilMillis, Optional<Long> beforeSeq, int limit) {}

  /** Entries matching {@code q}, newest first, at most {@code limit + 1} (the extra one says there is more). */
  public List<AuditEntry> list(Query q) {
    StringBuilder sql = new StringBuilder("SELECT * FROM audit_log WHERE 1 = 1");
    List<Object> args = new ArrayList<>();
    q.tokenId().ifPresent(v -> { sql.append(" AND token_id = ?"); args.add(v); });
    q.action().ifPresent(v -> { sql.append(" AND action = ?"); args.add(v); });
    q.messageId().ifPresent(v -> { sql.append(" AND message_ids LIKE ?"); args.add("%" + v + "%"); });
    q.sinceMillis().ifPresent(v -> { sql.append(" AND at_ms >= ?"); args.add(v); });
    q.untilMillis().ifPresent(v -> { sql.append(" AND at_ms < ?"); args.add(v); });
    q.beforeSeq().ifPresent(v -> { sql.append(" AND seq < ?"); args.add(v); });
    sql.append(" ORDER BY seq DESC LIMIT ").append(q.limit() + 1);
    return db.read(c -> {
      try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
        for (int i = 0; i < args.size(); i++) {
          ps.setObject(i + 1, args.get(i));
        }
        List<AuditEntry> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.add(entry(rs));
          }
        }
        return out;
      }
    });
  }

  static AuditEntry entry(ResultSet rs) throws SQLException {
    return new AuditEntry(rs.getLong("seq"), rs.getLong("at_ms"), rs.getString("node_id"), rs.getString("token_id"),
        rs.getString("token_name"), rs.getString("address"), rs.getString("action"), rs.getString("resource"),
        rs.getInt("status"), rs.getString("error_code"), rs.getString("message_ids"), rs.getString("body_digest"),
        rs.getString("prev_hash"), rs.getString("hash"));
  }

  /** What a prune removed: the entries up to {@code throughSeq} (a signed checkpoint), {@code removed} rows. */
  public record Pruned(long throughSeq, int removed) {}

  /**
   * Removes the entries recorded before {@code before} up to the newest signed checkpoint among
   * them ({@code bin/aegis admin audit prune}), never the last entry: the checkpoint stays, and
   * {@link AuditVerifier} goes on from its hash, so what is kept is still verified whole.
   */
  public static Pruned prune(Database db, java.time.Instant before) {
    return db.transaction(c -> {
      long through;
      try (PreparedStatement ps = c.prepareStatement("SELECT MAX(k.seq) FROM audit_checkpoints k JOIN audit_log l"
          + " ON l.seq = k.seq WHERE l.at_ms < ? AND k.seq < (SELECT seq FROM audit_head WHERE id = 1)")) {
        ps.setLong(1, before.toEpochMilli());
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          through = rs.getLong(1);
        }
      }
      if (through == 0) {
        return new Pruned(0, 0);
      }
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM audit_log WHERE seq <= ?")) {
        ps.setLong(1, through);
        return new Pruned(through, ps.executeUpdate());
      }
    });
  }

  /** Signs the chain's head every {@code period}, when it moved since the last checkpoint. */
  public void signEvery(io.vertx.core.Vertx vertx, BackendKeyRing keys, Duration period) {
    vertx.setPeriodic(period.toMillis(), id -> signNow(keys).exceptionally(err -> {
      log.warn("audit: could not sign a checkpoint: {}", String.valueOf(err.getCause() != null ? err.getCause() : err));
      return false;
    }));
  }

  /** Signs the chain's head now if no checkpoint covers it (a node stopping signs what it appended last). */
  public CompletableFuture<Boolean> signNow(BackendKeyRing keys) {
    return batcher.submit(c -> checkpoint(c, keys.current()));
  }

  /**
   * Signs the head if no checkpoint covers it yet (another node may just have); returns whether
   * it wrote one.
   */
  public boolean checkpoint(Connection c, IdentityKeyPair key) throws SQLException {
    long seq;
    String hash;
    try (PreparedStatement ps = c.prepareStatement("SELECT seq, hash FROM audit_head WHERE id = 1");
         ResultSet rs = ps.executeQuery()) {
      if (!rs.next()) {
        return false;
      }
      seq = rs.getLong(1);
      hash = rs.getString(2);
    }
    if (seq == 0) {
      return false;
    }
    try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM audit_checkpoints WHERE seq >= ?")) {
      ps.setLong(1, seq);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        if (rs.getLong(1) > 0) {
          return false;
        }
      }
    }
    byte[] signature = key.sign(AuditEntry.CHECKPOINT_CONTEXT, AuditEntry.checkpointDigest(seq, hash));
    try (PreparedStatement ps = c.prepareStatement(
        "INSERT INTO audit_checkpoints (seq, hash, key_id, signature, signed_ms) VALUES (?, ?, ?, ?, ?)")) {
      ps.setLong(1, seq);
      ps.setString(2, hash);
      ps.setString(3, key.publicKey().keyIdHex());
      ps.setString(4, HexFormat.of().formatHex(signature));
      ps.setLong(5, System.currentTimeMillis());
      ps.executeUpdate();
    } catch (SQLException e) {
      if (db.dialect().isUniqueViolation(e)) {
        return false; // another node signed the same head in the meantime
      }
      throw e;
    }
    return true;
  }
}
