package io.aegis.server.delivery;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import io.aegis.protocol.crypto.Hex;
import io.aegis.protocol.record.SignedBlock;
import io.aegis.server.api.ApiJson;
import io.aegis.server.store.BatchedWrite;
import io.aegis.server.store.Database;
import io.aegis.server.store.Dialect;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The durable message queue: the seed's {@code message_queue} table (named by
 * {@code MESSAGE_QUEUE_TABLE}), one row per message and recipient agent. It is the source of
 * truth for delivery — any node can accept a send and any node holding the agent's session can
 * deliver it, because both only talk through these rows.
 *
 * <p>SQL only. Methods taking a {@link Connection} run in the caller's transaction (usually a
 * group commit of the {@link io.aegis.server.store.WriteBatcher}). Thread-safe.
 */
public final class MessageQueue {
  public static final String PENDING = "pending";
  public static final String SENT = "sent";
  public static final String DELIVERED = "delivered";
  public static final String FAILED = "failed";
  public static final String EXPIRED = "expired";
  public static final String CANCELLED = "cancelled";

  private static final TypeReference<Map<String, String>> HEADERS = new TypeReference<>() {};

  private final Database db;
  private final Dialect dialect;
  private final String table;
  private final String insertSql;

  public MessageQueue(Database db, String table) {
    this.db = db;
    this.dialect = db.dialect();
    this.table = table;
    String columns = "id, agent_id, channel, message_type, payload, encrypted_payload, nonce, signature, status,"
        + " retry_count, max_retries, created_at, expires_at, message_id, priority, audience, signer_key_id,"
        + " headers, attempts, broadcast";
    String values = "?, ?, ?, ?, ?, '', '', ?, 'pending', 0, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?";
    // PostgreSQL numbers rows with a sequence; SQLite has none, and its single writer makes MAX + 1 safe.
    this.insertSql = dialect == Dialect.SQLITE
        ? "INSERT INTO " + table + " (" + columns + ", seq) VALUES (" + values
            + ", (SELECT COALESCE(MAX(seq), 0) + 1 FROM " + table + "))"
        : "INSERT INTO " + table + " (" + columns + ") VALUES (" + values + ")";
  }

  public String table() {
    return table;
  }

  /** Inserts messages (one per recipient) in the caller's transaction, with one JDBC batch. */
  public void insert(Connection c, List<QueuedMessage> messages, boolean broadcast) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(insertSql)) {
      for (QueuedMessage m : messages) {
        bindInsert(ps, m, broadcast);
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  /** One message's insert, to share a JDBC batch with other inserts of a group commit. */
  public BatchedWrite insert(QueuedMessage m) {
    return BatchedWrite.of(insertSql, ps -> bindInsert(ps, m, false));
  }

  private void bindInsert(PreparedStatement ps, QueuedMessage m, boolean broadcast) throws SQLException {
    int i = 1;
    ps.setString(i++, m.rowId());
    ps.setString(i++, m.agentId());
    ps.setString(i++, m.channel());
    ps.setString(i++, m.messageType());
    ps.setString(i++, new String(m.payload(), StandardCharsets.UTF_8));
    ps.setString(i++, Base64.getEncoder().encodeToString(m.block().signature()));
    ps.setInt(i++, m.maxRetries());
    dialect.setInstant(ps, i++, m.createdAt());
    dialect.setInstant(ps, i++, m.expiresAt());
    ps.setString(i++, m.messageId());
    ps.setInt(i++, m.priority().rank());
    ps.setString(i++, m.block().audience());
    ps.setString(i++, Hex.encode(m.block().signerKeyId()));
    ps.setString(i++, json(m.headers()));
    ps.setBoolean(i, broadcast);
  }


  /** Whether the agent has a message with this id (in any status). */
  public boolean contains(Connection c, String agentId, String messageId) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT 1 FROM " + table + " WHERE agent_id = ? AND message_id = ?")) {
      ps.setString(1, agentId);
      ps.setString(2, messageId);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  /** Cancels the agent's undelivered messages on {@code channel} (a newer push supersedes them). */
  public int cancelChannel(Connection c, String agentId, String channel, Instant at) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("UPDATE " + table
        + " SET status = 'cancelled', processed_at = ?, error = 'superseded'"
        + " WHERE agent_id = ? AND channel = ? AND status IN ('pending', 'sent')")) {
      dialect.setInstant(ps, 1, at);
      ps.setString(2, agentId);
      ps.setString(3, channel);
      return ps.executeUpdate();
    }
  }

  /** Messages not yet delivered to {@code agentId} (pending, or sent and unacknowledged). */
  public int undelivered(Connection c, String agentId) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT COUNT(*) FROM " + table + " WHERE agent_id = ? AND status IN ('pending', 'sent')")) {
      ps.setString(1, agentId);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }

  /** {@link #undelivered(Connection, String)} in its own read. */
  public int undelivered(String agentId) {
    return db.read(c -> undelivered(c, agentId));
  }

  /** The agent's undelivered backlog in delivery order (priority, then FIFO), at most {@code limit}. */
  public List<QueuedMessage> backlog(String agentId, int limit) {
    return backlogPage(agentId, -1, -1, limit);
  }

  /**
   * A page of the agent's undelivered backlog in delivery order (priority, then FIFO), starting
   * after position ({@code afterPriority}, {@code afterSeq}); pass (-1, -1) for the first page.
   */
  public List<QueuedMessage> backlogPage(String agentId, int afterPriority, long afterSeq, int limit) {
    return db.read(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT * FROM " + table
          + " WHERE agent_id = ? AND status IN ('pending', 'sent') AND (priority > ? OR (priority = ? AND seq > ?))"
          + " ORDER BY priority, seq LIMIT " + limit)) {
        ps.setString(1, agentId);
        ps.setInt(2, afterPriority);
        ps.setInt(3, afterPriority);
        ps.setLong(4, afterSeq);
        List<QueuedMessage> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.add(map(rs));
          }
        }
        return out;
      }
    });
  }

  /**
   * Records a transmission: status sent, attempts, and the record as transmitted. The row is
   * named by its agent too: the agent id is the queue's partition key on PostgreSQL.
   */
  public BatchedWrite sent(String agentId, String rowId, int attempts, String encryptedPayload, String nonce,
                           Instant at) {
    return BatchedWrite.of("UPDATE " + table
        + " SET status = 'sent', attempts = ?, retry_count = ?, encrypted_payload = ?, nonce = ?, sent_at = ?"
        + " WHERE agent_id = ? AND id = ? AND status IN ('pending', 'sent')", ps -> {
          ps.setInt(1, attempts);
          ps.setInt(2, Math.max(0, attempts - 1));
          ps.setString(3, encryptedPayload);
          ps.setString(4, nonce);
          dialect.setInstant(ps, 5, at);
          ps.setString(6, agentId);
          ps.setString(7, rowId);
        });
  }

  /** Records a transmission and its acknowledgement in one write (the ack came first). */
  public BatchedWrite sentAndDelivered(String agentId, String rowId, int attempts, String encryptedPayload,
                                       String nonce, Instant sentAt, Instant at) {
    return BatchedWrite.of("UPDATE " + table
        + " SET status = 'delivered', attempts = ?, retry_count = ?, encrypted_payload = ?, nonce = ?, sent_at = ?,"
        + " delivered_at = ?, processed_at = ? WHERE agent_id = ? AND id = ? AND status IN ('pending', 'sent')", ps -> {
          ps.setInt(1, attempts);
          ps.setInt(2, Math.max(0, attempts - 1));
          ps.setString(3, encryptedPayload);
          ps.setString(4, nonce);
          dialect.setInstant(ps, 5, sentAt);
          dialect.setInstant(ps, 6, at);
          dialect.setInstant(ps, 7, at);
          ps.setString(8, agentId);
          ps.setString(9, rowId);
        });
  }

  /** Marks the agent's copy of {@code messageId} delivered (no response); see {@link #markDelivered}. */
  public BatchedWrite delivered(String agentId, String messageId, Instant at) {
    return BatchedWrite.of("UPDATE " + table
        + " SET status = 'delivered', delivered_at = COALESCE(delivered_at, ?), processed_at = ?"
        + " WHERE agent_id = ? AND message_id = ?"
        + " AND (status IN ('pending', 'sent', 'delivered') OR (status = 'expired' AND sent_at IS NOT NULL))", ps -> {
          dialect.setInstant(ps, 1, at);
          dialect.setInstant(ps, 2, at);
          ps.setString(3, agentId);
          ps.setString(4, messageId);
        });
  }

  /**
   * Marks the agent's copy of {@code messageId} delivered, with the agent's response if any.
   * A message that expired after it was transmitted still counts as delivered when its
   * acknowledgement arrives. Returns whether a row changed.
   */
  public boolean markDelivered(Connection c, String agentId, String messageId, String response, Instant at)
      throws SQLException {
    String set = response == null
        ? "SET status = 'delivered', delivered_at = COALESCE(delivered_at, ?), processed_at = ?"
        : "SET status = 'delivered', delivered_at = COALESCE(delivered_at, ?), processed_at = ?, response = ?, responded_at = ?";
    try (PreparedStatement ps = c.prepareStatement("UPDATE " + table + " " + set
        + " WHERE agent_id = ? AND message_id = ?"
        + " AND (status IN ('pending', 'sent', 'delivered') OR (status = 'expired' AND sent_at IS NOT NULL))")) {
      int i = 1;
      dialect.setInstant(ps, i++, at);
      dialect.setInstant(ps, i++, at);
      if (response != null) {
        ps.setString(i++, response);
        dialect.setInstant(ps, i++, at);
      }
      ps.setString(i++, agentId);
      ps.setString(i, messageId);
      return ps.executeUpdate() > 0;
    }
  }

  /** Ends a message as failed (retries exhausted, or refused by the agent) with the reason. */
  /** Returns 1 if the message was ended, 0 if it is another agent's, unknown, or already final. */
  public int markFailed(Connection c, String agentId, String messageId, String error, Instant at) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("UPDATE " + table
        + " SET status = 'failed', error = ?, processed_at = ? WHERE agent_id = ? AND message_id = ?"
        + " AND status IN ('pending', 'sent')")) {
      ps.setString(1, error);
      dialect.setInstant(ps, 2, at);
      ps.setString(3, agentId);
      ps.setString(4, messageId);
      return ps.executeUpdate();
    }
  }

  /** Expires every undelivered message past its {@code expires_at}; returns how many. */
  public int expireDue(Connection c, Instant now) throws SQLException {
    return expireDue(c, table, now);
  }

  /**
   * Expires every undelivered message of {@code part} past its {@code expires_at}; returns how
   * many. {@code part} is the queue table or one of its partitions ({@link #table}).
   */
  public int expireDue(Connection c, String part, Instant now) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("UPDATE " + part
        + " SET status = 'expired', processed_at = ? WHERE status IN ('pending', 'sent') AND expires_at <= ?")) {
      dialect.setInstant(ps, 1, now);
      dialect.setInstant(ps, 2, now);
      return ps.executeUpdate();
    }
  }

  /**
   * Cancels every undelivered copy of {@code messageId}. Returns the number cancelled; a copy
   * already transmitted may still be acted on by its agent, but is never sent again.
   */
  public int cancel(Connection c, String messageId, Instant at) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("UPDATE " + table
        + " SET status = 'cancelled', processed_at = ? WHERE message_id = ? AND status IN ('pending', 'sent')")) {
      dialect.setInstant(ps, 1, at);
      ps.setString(2, messageId);
      return ps.executeUpdate();
    }
  }

  /**
   * Deletes up to {@code limit} finished messages (delivered, failed, expired, cancelled) created
   * before {@code before}; returns how many. Uses the seed's {@code created_at} index.
   */
  public int purgeFinished(Connection c, String part, Instant before, int limit) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + part + " WHERE id IN (SELECT id FROM " + part
        + " WHERE created_at < ? AND status IN ('delivered', 'failed', 'expired', 'cancelled') LIMIT " + limit + ")")) {
      dialect.setInstant(ps, 1, before);
      return ps.executeUpdate();
    }
  }

  /** Agents with pending messages in {@code part} older than {@code before}: candidates for the sweep. */
  public List<String> agentsWithPending(String part, Instant before, int limit) {
    return db.read(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT DISTINCT agent_id FROM " + part
          + " WHERE status = 'pending' AND created_at < ? LIMIT " + limit)) {
        dialect.setInstant(ps, 1, before);
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

  /** Undelivered rows of {@code part} by status, for the queue-depth gauges. */
  public Map<String, Long> countsByStatus(String part) {
    return db.read(c -> {
      Map<String, Long> out = new TreeMap<>();
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT status, COUNT(*) FROM " + part + " WHERE status IN ('pending', 'sent') GROUP BY status");
           ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.put(rs.getString(1), rs.getLong(2));
        }
      }
      return out;
    });
  }

  /** The message as the API shows it; a broadcast's recipients are summarized by status. */
  public Optional<MessageView> view(String messageId) {
    return db.read(c -> {
      List<MessageView> rows = new ArrayList<>();
      Map<String, Long> byStatus = new LinkedHashMap<>();
      boolean broadcast = false;
      try (PreparedStatement ps = c.prepareStatement("SELECT * FROM " + table + " WHERE message_id = ? LIMIT 2")) {
        ps.setString(1, messageId);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            rows.add(view(rs));
            broadcast = rs.getBoolean("broadcast");
          }
        }
      }
      if (rows.isEmpty()) {
        return Optional.empty();
      }
      MessageView first = rows.get(0);
      if (!broadcast) {
        return Optional.of(first);
      }
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT status, COUNT(*) FROM " + table + " WHERE message_id = ? GROUP BY status")) {
        ps.setString(1, messageId);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            byStatus.put(rs.getString(1), rs.getLong(2));
          }
        }
      }
      String status = byStatus.keySet().stream().anyMatch(s -> s.equals(PENDING) || s.equals(SENT)) ? SENT
          : byStatus.containsKey(DELIVERED) ? DELIVERED : byStatus.keySet().iterator().next();
      return Optional.of(new MessageView(first.messageId(), null, first.channel(), first.messageType(), status,
          first.priority(), 0, first.maxRetries(), first.createdAt(), null, null, first.expiresAt(), first.message(),
          null, null, null, null, true, byStatus));
    });
  }

  /** One agent's copy of a message. */
  public Optional<MessageView> view(String agentId, String messageId) {
    return db.read(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT * FROM " + table + " WHERE agent_id = ? AND message_id = ?")) {
        ps.setString(1, agentId);
        ps.setString(2, messageId);
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next() ? Optional.of(view(rs)) : Optional.empty();
        }
      }
    });
  }

  /** An agent's messages, newest first, optionally of one status; keyset-paginated on seq. */
  public List<MessageView> list(String agentId, Optional<String> status, Optional<Long> beforeSeq, int limit,
                                List<Long> seqs) {
    StringBuilder sql = new StringBuilder("SELECT * FROM " + table + " WHERE agent_id = ?");
    status.ifPresent(s -> sql.append(" AND status = ?"));
    beforeSeq.ifPresent(s -> sql.append(" AND seq < ?"));
    sql.append(" ORDER BY seq DESC LIMIT ").append(limit + 1);
    return db.read(c -> {
      try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
        int i = 1;
        ps.setString(i++, agentId);
        if (status.isPresent()) {
          ps.setString(i++, status.get());
        }
        if (beforeSeq.isPresent()) {
          ps.setLong(i, beforeSeq.get());
        }
        List<MessageView> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.add(view(rs));
            seqs.add(rs.getLong("seq"));
          }
        }
        return out;
      }
    });
  }

  private QueuedMessage map(ResultSet rs) throws SQLException {
    SignedBlock block = new SignedBlock(Hex.decode(rs.getString("signer_key_id")),
        dialect.getInstant(rs, "expires_at").toEpochMilli(), rs.getString("audience"),
        Base64.getDecoder().decode(rs.getString("signature")));
    return new QueuedMessage(rs.getString("id"), rs.getString("message_id"), rs.getString("agent_id"),
        rs.getString("channel"), rs.getString("message_type"), rs.getString("payload").getBytes(StandardCharsets.UTF_8),
        block, headers(rs.getString("headers")), Priority.ofRank(rs.getInt("priority")), rs.getLong("seq"),
        rs.getInt("attempts"), dialect.getInstant(rs, "sent_at"), rs.getInt("max_retries"),
        dialect.getInstant(rs, "created_at"), dialect.getInstant(rs, "expires_at"));
  }

  private MessageView view(ResultSet rs) throws SQLException {
    return new MessageView(rs.getString("message_id"), rs.getString("agent_id"), rs.getString("channel"),
        rs.getString("message_type"), rs.getString("status"), Priority.ofRank(rs.getInt("priority")),
        rs.getInt("attempts"), rs.getInt("max_retries"), dialect.getInstant(rs, "created_at"),
        dialect.getInstant(rs, "sent_at"), dialect.getInstant(rs, "delivered_at"),
        dialect.getInstant(rs, "expires_at"), tree(rs.getString("payload")), tree(rs.getString("response")),
        dialect.getInstant(rs, "responded_at"), rs.getString("error"), MessageView.rejectionOf(rs.getString("error")),
        rs.getBoolean("broadcast") ? true : null, null);
  }

  private static JsonNode tree(String json) throws SQLException {
    if (json == null) {
      return null;
    }
    try {
      return ApiJson.MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      throw new SQLException("corrupt JSON in the message queue", e);
    }
  }

  private static Map<String, String> headers(String json) throws SQLException {
    try {
      return ApiJson.MAPPER.readValue(json, HEADERS);
    } catch (JsonProcessingException e) {
      throw new SQLException("corrupt headers in the message queue", e);
    }
  }

  private static String json(Object value) {
    return new String(ApiJson.write(value), StandardCharsets.UTF_8);
  }
}
