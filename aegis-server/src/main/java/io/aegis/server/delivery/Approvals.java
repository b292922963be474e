package io.aegis.server.delivery;

import com.fasterxml.jackson.databind.JsonNode;
import io.aegis.server.api.ApiException;
import io.aegis.server.api.ApiJson;
import io.aegis.server.api.Caller;
import io.aegis.server.config.Config;
import io.aegis.server.store.Database;
import io.aegis.server.store.TimeOrderedIds;
import io.aegis.server.store.WriteBatcher;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * Two-person approval ({@code approvals}): a broadcast to more than
 * {@code AEGIS_APPROVAL_THRESHOLD} agents, or any send or broadcast on a channel in
 * {@code AEGIS_APPROVAL_CHANNELS}, is kept here as it was asked, {@code awaiting_approval}, and
 * runs only when another operator token with the {@code approve} scope approves it; unapproved
 * after {@code AEGIS_APPROVAL_TIMEOUT} it expires. Approving is one conditional update, so two
 * approvers on two nodes cannot both run it.
 */
public final class Approvals {
  public static final String AWAITING = "awaiting_approval";
  public static final String APPROVED = "approved";
  public static final String REJECTED = "rejected";
  public static final String EXPIRED = "expired";
  static final Set<String> STATUSES = Set.of(AWAITING, APPROVED, REJECTED, EXPIRED);

  /** One request awaiting (or past) approval. {@code request} is the body as it was sent. */
  public record Approval(String approvalId, String kind, String agentId, String channel, int recipients,
                         String reason, String request, Optional<IdempotencyKeys.Key> idempotencyKey,
                         String requestedBy, String requestedByName, Optional<Caller.AgentSelector> requesterLabel,
                         String status, Instant createdAt, Instant expiresAt, String decidedBy, String decidedByName,
                         Instant decidedAt, Integer resultStatus, String result) {}

  private final Database db;
  private final OptionalInt threshold;
  private final Set<String> channels;
  private final Duration timeout;

  public Approvals(Database db, Config config) {
    this.db = db;
    this.threshold = config.approvalThreshold();
    this.channels = config.approvalChannels();
    this.timeout = config.approvalTimeout();
  }

  /** Why a send ({@code broadcast} false) or broadcast on {@code channel} to {@code recipients} agents needs approval, if it does. */
  public Optional<String> reason(String channel, int recipients, boolean broadcast) {
    if (channels.contains(channel)) {
      return Optional.of("channel '" + channel + "' is listed in AEGIS_APPROVAL_CHANNELS");
    }
    if (broadcast && threshold.isPresent() && recipients > threshold.getAsInt()) {
      return Optional.of("a broadcast to " + recipients + " agents is more than AEGIS_APPROVAL_THRESHOLD ("
          + threshold.getAsInt() + ")");
    }
    return Optional.empty();
  }

  /**
   * Keeps a request for approval. The same idempotency key from the same operator returns the
   * approval it made first (refused if that was for another request).
   *
   * @return the approval, and whether it was made by this call (false: an earlier request's)
   */
  public Created create(String kind, String agentId, String channel, int recipients, String reason, byte[] request,
                        Optional<IdempotencyKeys.Key> key, Caller.Operator by) {
    Instant now = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
    String id = TimeOrderedIds.next();
    Approval a = new Approval(id, kind, agentId, channel, recipients, reason,
        new String(request, StandardCharsets.UTF_8), key, by.tokenId(), by.name(), by.agents(), AWAITING, now,
        now.plus(timeout), null, null, null, null, null);
    return db.transaction(c -> {
      if (key.isPresent()) {
        Optional<Approval> first = byKey(c, by.tokenId(), key.get().key());
        if (first.isPresent()) {
          if (!first.get().idempotencyKey().map(k -> k.requestHash().equals(key.get().requestHash())).orElse(false)) {
            throw new ApiException(422, "idempotency_key_reused", IdempotencyKeys.HEADER + " '" + key.get().key()
                + "' was used for a different request; use a new key for a new request");
          }
          return new Created(first.get(), false);
        }
      }
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO approvals (approval_id, kind, agent_id, channel, "
          + "recipients, reason, request, idempotency_key, request_hash, requested_by, requested_by_name, "
          + "requester_label, status, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
        ps.setString(1, a.approvalId());
        ps.setString(2, a.kind());
        ps.setString(3, a.agentId());
        ps.setString(4, a.channel());
        ps.setInt(5, a.recipients());
        ps.setString(6, a.reason());
        ps.setString(7, a.request());
        ps.setString(8, key.map(IdempotencyKeys.Key::key).orElse(null));
        ps.setString(9, key.map(IdempotencyKeys.Key::requestHash).orElse(null));
        ps.setString(10, a.requestedBy());
        ps.setString(11, a.requestedByName());
        ps.setString(12, a.requesterLabel().map(Caller.AgentSelector::toString).orElse(null));
        ps.setString(13, AWAITING);
        db.dialect().setInstant(ps, 14, a.createdAt());
        db.dialect().setInstant(ps, 15, a.expiresAt());
        ps.executeUpdate();
      }
      return new Created(a, true);
    });
  }

  public record Created(Approval approval, boolean fresh) {}

  private Optional<Approval> byKey(Connection c, String operator, String key) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT * FROM approvals WHERE requested_by = ? AND idempotency_key = ?")) {
      ps.setString(1, operator);
      ps.setString(2, key);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(map(rs)) : Optional.empty();
      }
    }
  }

  public Optional<Approval> find(String id) {
    return db.read(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT * FROM approvals WHERE approval_id = ?")) {
        ps.setString(1, id);
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next() ? Optional.of(map(rs)) : Optional.<Approval>empty();
        }
      }
    });
  }

  /** Approvals newest first, optionally of one status; at most {@code limit + 1}. */
  public List<Approval> list(Optional<String> status, Optional<String> beforeId, int limit) {
    StringBuilder sql = new StringBuilder("SELECT * FROM approvals WHERE 1 = 1");
    List<Object> args = new ArrayList<>();
    Instant now = Instant.now();
    status.ifPresent(s -> {
      // An approval past its expiry that the sweep has not marked yet is expired already.
      if (s.equals(AWAITING)) {
        sql.append(" AND status = ? AND expires_at > ?");
        args.add(AWAITING);
        args.add(now);
      } else if (s.equals(EXPIRED)) {
        sql.append(" AND (status = ? OR (status = ? AND expires_at <= ?))");
        args.add(EXPIRED);
        args.add(AWAITING);
        args.add(now);
      } else {
        sql.append(" AND status = ?");
        args.add(s);
      }
    });
    beforeId.ifPresent(b -> {
      sql.append(" AND approval_id < ?");
      args.add(b);
    });
    sql.append(" ORDER BY approval_id DESC LIMIT ").append(limit + 1);
    return db.read(c -> {
      try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
        for (int i = 0; i < args.size(); i++) {
          if (args.get(i) instanceof Instant t) {
            db.dialect().setInstant(ps, i + 1, t);
          } else {
            ps.setObject(i + 1, args.get(i));
          }
        }
        List<Approval> out = new ArrayList<>();
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
   * Moves an approval from awaiting to {@code status} (approved or rejected) if it is still
   * awaiting and not expired; false if another decision, or its expiry, came first.
   */
  public boolean decide(String id, String status, Caller.Operator by) {
    Instant now = Instant.now();
    return db.transaction(c -> {
      try (PreparedStatement ps = c.prepareStatement("UPDATE approvals SET status = ?, decided_by = ?, "
          + "decided_by_name = ?, decided_at = ? WHERE approval_id = ? AND status = ? AND expires_at > ?")) {
        ps.setString(1, status);
        ps.setString(2, by.tokenId());
        ps.setString(3, by.name());
        db.dialect().setInstant(ps, 4, now);
        ps.setString(5, id);
        ps.setString(6, AWAITING);
        db.dialect().setInstant(ps, 7, now);
        return ps.executeUpdate() == 1;
      }
    });
  }

  /** Keeps what running an approved request answered (its HTTP status and JSON), in the caller's transaction. */
  public int result(Connection c, String id, int status, byte[] answer) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "UPDATE approvals SET result_status = ?, result = ? WHERE approval_id = ?")) {
      ps.setInt(1, status);
      ps.setString(2, new String(answer, StandardCharsets.UTF_8));
      ps.setString(3, id);
      return ps.executeUpdate();
    }
  }

  /** Marks awaiting approvals past their expiry as expired, every {@code period}. */
  public void expireEvery(io.vertx.core.Vertx vertx, WriteBatcher batcher, Duration period) {
    vertx.setPeriodic(period.toMillis(), t -> batcher.submit(c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "UPDATE approvals SET status = ? WHERE status = ? AND expires_at <= ?")) {
        ps.setString(1, EXPIRED);
        ps.setString(2, AWAITING);
        db.dialect().setInstant(ps, 3, Instant.now());
        return ps.executeUpdate();
      }
    }));
  }

  private Approval map(ResultSet rs) throws SQLException {
    String key = rs.getString("idempotency_key");
    String label = rs.getString("requester_label");
    String requestedBy = rs.getString("requested_by");
    String requestHash = rs.getString("request_hash");
    String status = rs.getString("status");
    Instant expires = db.dialect().getInstant(rs, "expires_at");
    if (status.equals(AWAITING) && !Instant.now().isBefore(expires)) {
      status = EXPIRED;
    }
    Integer resultStatus = rs.getInt("result_status");
    if (rs.wasNull()) {
      resultStatus = null;
    }
    return new Approval(rs.getString("approval_id"), rs.getString("kind"), rs.getString("agent_id"),
        rs.getString("channel"), rs.getInt("recipients"), rs.getString("reason"), rs.getString("request"),
        Optional.ofNullable(key).map(k -> new IdempotencyKeys.Key(requestedBy, k, requestHash)),
        requestedBy, rs.getString("requested_by_name"),
        Optional.ofNullable(label).map(l -> new Caller.AgentSelector(l.substring(0, l.indexOf('=')),
            l.substring(l.indexOf('=') + 1))),
        status, db.dialect().getInstant(rs, "created_at"), expires, rs.getString("decided_by"),
        rs.getString("decided_by_name"), db.dialect().getInstant(rs, "decided_at"),
        resultStatus, rs.getString("result"));
  }

  /** The approval as the API shows it. */
  record View(String approvalId, String kind, String agentId, String channel, int recipients, String reason,
              JsonNode request, Who requestedBy, String status, Instant createdAt, Instant expiresAt, Who decidedBy,
              Instant decidedAt, Integer resultStatus, JsonNode result) {}

  record Who(String tokenId, String name) {}

  static View view(Approval a) {
    return new View(a.approvalId(), a.kind(), a.agentId(), a.channel(), a.recipients(), a.reason(),
        ApiJson.tree(a.request().getBytes(StandardCharsets.UTF_8)), new Who(a.requestedBy(), a.requestedByName()),
        a.status(), a.createdAt(), a.expiresAt(), a.decidedBy() == null ? null : new Who(a.decidedBy(), a.decidedByName()),
        a.decidedAt(), a.resultStatus(),
        a.result() == null ? null : ApiJson.tree(a.result().getBytes(StandardCharsets.UTF_8)));
  }
}
