package io.aegis.server.delivery;

import io.aegis.protocol.crypto.Sha256;
import io.aegis.server.api.ApiException;
import io.aegis.server.api.ApiRequest;
import io.aegis.server.api.Caller;
import io.aegis.server.store.Database;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Optional;

/**
 * Idempotency keys of sends and broadcasts ({@code Idempotency-Key}): the same key from the same
 * operator within {@code AEGIS_IDEMPOTENCY_WINDOW} gets the first request's answer and creates
 * nothing; the same key on a different request is refused (422 {@code idempotency_key_reused}).
 *
 * <p>The key is written by {@link #claim} in the transaction that inserts the message, under a
 * primary key over (operator, key): whichever commit comes first wins, on any node, and a later
 * one — a retry through another node, or the first attempt committing late on a node that was
 * partitioned — finds the key taken, inserts nothing and returns the first answer. A key checked
 * only when a request starts could not catch the late commit. Keys past the window are taken over
 * by the next claim and purged ({@link #purge}).
 *
 * <p>Thread-safe.
 */
public final class IdempotencyKeys {
  public static final String HEADER = "Idempotency-Key";

  /** A request's key: the operator that sent it, the key, and a digest of what it asked. */
  public record Key(String operator, String key, String requestHash) {}

  /** The answer given under a key: the message it created, and the HTTP status and body sent back. */
  public record Answer(String messageId, int statusCode, String response) {}

  private final Database db;
  private final Duration window;

  public IdempotencyKeys(Database db, Duration window) {
    this.db = db;
    this.window = window;
  }

  /**
   * The request's key, if it sent one; refuses a malformed key (1–255 printable ASCII characters)
   * and a key sent by anyone but an operator.
   */
  public static Optional<Key> of(ApiRequest r) {
    Optional<String> header = r.header(HEADER);
    if (header.isEmpty()) {
      return Optional.empty();
    }
    String key = header.get();
    return Optional.of(new Key(operator(r, key, HEADER), key, digest(r.requestLine() + "\n", r.rawBody())));
  }

  /** The operator whose key {@code key} is; refuses a malformed key and a caller that is no operator. */
  private static String operator(ApiRequest r, String key, String name) {
    if (key.isEmpty() || key.length() > 255 || !key.chars().allMatch(ch -> ch >= 0x20 && ch <= 0x7e)) {
      throw ApiException.badRequest("invalid_idempotency_key", name + " must be 1 to 255 printable ASCII characters");
    }
    if (!(r.caller() instanceof Caller.Operator op)) {
      throw ApiException.badRequest("invalid_idempotency_key", name + " is for operator requests");
    }
    return op.tokenId();
  }

  /**
   * The key of one item of a batch ({@code idempotency_key}), over the item's own JSON: a batch
   * retried whole finds each item's first answer, whatever else the batch holds.
   */
  public static Key forItem(ApiRequest r, String key, byte[] itemJson) {
    return new Key(operator(r, key, "idempotency_key"), key, digest("POST /api/v1/messages item\n", itemJson));
  }

  /** The answer already given under {@code k} within the window, if any (refused if it was for another request). */
  public Optional<Answer> find(Key k) {
    return db.read(c -> answer(c, k, Instant.now().minus(window)));
  }

  /**
   * In the transaction that creates the message: takes {@code k} for {@code a}, or, if it is
   * taken within the window, returns the answer given under it (and the caller must then create
   * nothing). Refuses a key taken by a different request.
   */
  public Optional<Answer> claim(Connection c, Key k, Answer a, Instant now) throws SQLException {
    Instant cutoff = now.minus(window);
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO idempotency_keys"
        + " (operator, idem_key, request_hash, message_id, status_code, response, created_at)"
        + " VALUES (?, ?, ?, ?, ?, ?, ?)"
        + " ON CONFLICT (operator, idem_key) DO UPDATE SET request_hash = excluded.request_hash,"
        + " message_id = excluded.message_id, status_code = excluded.status_code, response = excluded.response,"
        + " created_at = excluded.created_at WHERE idempotency_keys.created_at < ?")) {
      ps.setString(1, k.operator());
      ps.setString(2, k.key());
      ps.setString(3, k.requestHash());
      ps.setString(4, a.messageId());
      ps.setInt(5, a.statusCode());
      ps.setString(6, a.response());
      db.dialect().setInstant(ps, 7, now);
      db.dialect().setInstant(ps, 8, cutoff);
      if (ps.executeUpdate() == 1) {
        return Optional.empty();
      }
    }
    return Optional.of(answer(c, k, cutoff).orElseThrow(() -> new SQLException("idempotency key vanished")));
  }

  private Optional<Answer> answer(Connection c, Key k, Instant cutoff) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT request_hash, message_id, status_code, response"
        + " FROM idempotency_keys WHERE operator = ? AND idem_key = ? AND created_at >= ?")) {
      ps.setString(1, k.operator());
      ps.setString(2, k.key());
      db.dialect().setInstant(ps, 3, cutoff);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        if (!MessageDigest.isEqual(rs.getString(1).getBytes(StandardCharsets.US_ASCII),
            k.requestHash().getBytes(StandardCharsets.US_ASCII))) {
          throw new ApiException(422, "idempotency_key_reused", HEADER + " '" + k.key()
              + "' was used for a different request within AEGIS_IDEMPOTENCY_WINDOW; use a new key for a new request");
        }
        return Optional.of(new Answer(rs.getString(2), rs.getInt(3), rs.getString(4)));
      }
    }
  }

  /** Deletes up to {@code limit} keys older than the window; returns how many. */
  public int purge(Connection c, Instant now, int limit) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM idempotency_keys WHERE (operator, idem_key) IN"
        + " (SELECT operator, idem_key FROM idempotency_keys WHERE created_at < ? LIMIT " + limit + ")")) {
      db.dialect().setInstant(ps, 1, now.minus(window));
      return ps.executeUpdate();
    }
  }

  /** Purges keys past the window every {@code period} (chunks of 5,000 per group commit). */
  public void purgeEvery(io.vertx.core.Vertx vertx, io.aegis.server.store.WriteBatcher batcher, Duration period) {
    vertx.setPeriodic(period.toMillis(), id -> purgeChunk(batcher));
  }

  private void purgeChunk(io.aegis.server.store.WriteBatcher batcher) {
    batcher.submit(c -> purge(c, Instant.now(), PURGE_CHUNK)).thenAccept(n -> {
      if (n == PURGE_CHUNK) {
        purgeChunk(batcher); // more to go, in a later group commit
      }
    });
  }

  private static final int PURGE_CHUNK = 5000;

  private static String digest(String head, byte[] body) {
    return HexFormat.of().formatHex(Sha256.hash(head.getBytes(StandardCharsets.UTF_8), body));
  }
}
