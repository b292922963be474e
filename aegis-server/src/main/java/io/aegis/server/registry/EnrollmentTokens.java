package io.aegis.server.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import io.aegis.server.api.ApiException;
import io.aegis.server.api.ApiJson;
import io.aegis.server.auth.Tokens;
import io.aegis.server.store.Database;
import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Enrollment tokens (as Fleet enrollment tokens and Teleport join tokens): an operator creates
 * one, single- or multi-use and expiring; an agent presents it with its id and public key to
 * register itself. Only the token's hash is stored.
 *
 * <p>Using a token and registering the agent happen in one transaction, so a failed registration
 * (say, the id is taken) does not consume a use, and two agents racing for the last use cannot
 * both win.
 */
public final class EnrollmentTokens {
  private static final TypeReference<Map<String, String>> LABELS = new TypeReference<>() {};

  private final Database db;
  private final AgentRegistry registry;

  public EnrollmentTokens(Database db, AgentRegistry registry) {
    this.db = db;
    this.registry = registry;
  }

  public EnrollmentToken create(String description, int maxUses, Duration ttl, Map<String, String> labels) {
    String token = Tokens.generate(Tokens.ENROLLMENT);
    String id = UUID.randomUUID().toString();
    Instant now = AgentRegistry.now();
    Instant expires = now.plus(ttl);
    db.transaction(c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "INSERT INTO enrollment_tokens (id, token_hash, description, max_uses, use_count, labels, expires_at, revoked, created_at) "
              + "VALUES (?, ?, ?, ?, 0, ?, ?, ?, ?)")) {
        ps.setString(1, id);
        ps.setString(2, Tokens.hash(token));
        ps.setString(3, description);
        ps.setInt(4, maxUses);
        ps.setString(5, new String(ApiJson.write(labels), StandardCharsets.UTF_8));
        db.dialect().setInstant(ps, 6, expires);
        ps.setBoolean(7, false);
        db.dialect().setInstant(ps, 8, now);
        ps.executeUpdate();
      }
      return null;
    });
    return new EnrollmentToken(id, token, description, maxUses, 0, labels, expires, false, now);
  }

  /** A token's place in the listing order (newest first): its creation time and id. */
  public record Position(Instant createdAt, String id) {}

  /**
   * Tokens newest first (ties by id, descending), starting after {@code after}; up to
   * {@code limit + 1} rows so the caller can tell whether there is a next page.
   */
  public List<EnrollmentToken> list(Optional<Position> after, int limit) {
    String where = after.isPresent() ? " WHERE created_at < ? OR (created_at = ? AND id < ?)" : "";
    return db.read(c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT * FROM enrollment_tokens" + where + " ORDER BY created_at DESC, id DESC LIMIT " + (limit + 1))) {
        if (after.isPresent()) {
          db.dialect().setInstant(ps, 1, after.get().createdAt());
          db.dialect().setInstant(ps, 2, after.get().createdAt());
          ps.setString(3, after.get().id());
        }
        List<EnrollmentToken> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.add(map(rs));
          }
        }
        return out;
      }
    });
  }

  public void revoke(String id) {
    db.transaction(c -> {
      try (PreparedStatement ps = c.prepareStatement("UPDATE enrollment_tokens SET revoked = ? WHERE id = ?")) {
        ps.setBoolean(1, true);
        ps.setString(2, id);
        if (ps.executeUpdate() == 0) {
          throw ApiException.notFound("enrollment token '" + id + "' does not exist");
        }
      }
      return null;
    });
  }

  /**
   * Registers an agent with a token: consumes one use and applies the token's labels.
   *
   * @throws ApiException 401 {@code invalid_enrollment_token} for an unknown, expired, revoked
   *     or used-up token (one answer for all four), 409 if the agent id is taken
   */
  public Agent enroll(String token, String agentId, String publicKey, JsonNode metadata) {
    return db.transaction(c -> {
      String tokenId;
      Map<String, String> labels;
      Instant now = AgentRegistry.now();
      try (PreparedStatement ps = c.prepareStatement(
          "UPDATE enrollment_tokens SET use_count = use_count + 1 "
              + "WHERE token_hash = ? AND revoked = ? AND use_count < max_uses AND expires_at > ?")) {
        ps.setString(1, Tokens.hash(token));
        ps.setBoolean(2, false);
        db.dialect().setInstant(ps, 3, now);
        if (ps.executeUpdate() == 0) {
          throw new ApiException(401, "invalid_enrollment_token",
              "the enrollment token is unknown, expired, revoked or used up");
        }
      }
      try (PreparedStatement ps = c.prepareStatement("SELECT id, labels FROM enrollment_tokens WHERE token_hash = ?")) {
        ps.setString(1, Tokens.hash(token));
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          tokenId = rs.getString("id");
          labels = readLabels(rs.getString("labels"));
        }
      }
      return registry.register(c, agentId, publicKey, metadata, labels, "token:" + tokenId);
    });
  }

  public Optional<EnrollmentToken> find(String id) {
    return db.read(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT * FROM enrollment_tokens WHERE id = ?")) {
        ps.setString(1, id);
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next() ? Optional.of(map(rs)) : Optional.empty();
        }
      }
    });
  }

  private EnrollmentToken map(ResultSet rs) throws SQLException {
    return new EnrollmentToken(
        rs.getString("id"),
        null,
        rs.getString("description"),
        rs.getInt("max_uses"),
        rs.getInt("use_count"),
        readLabels(rs.getString("labels")),
        db.dialect().getInstant(rs, "expires_at"),
        rs.getBoolean("revoked"),
        db.dialect().getInstant(rs, "created_at"));
  }

  private static Map<String, String> readLabels(String json) throws SQLException {
    try {
      return ApiJson.MAPPER.readValue(json, LABELS);
    } catch (JsonProcessingException e) {
      throw new SQLException("corrupt labels in enrollment_tokens", e);
    }
  }
}
