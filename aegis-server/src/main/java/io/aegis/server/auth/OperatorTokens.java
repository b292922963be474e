package io.aegis.server.auth;

import io.aegis.server.store.Database;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/**
 * Operator tokens. {@code AEGIS_ADMIN_TOKEN}, when set, is always accepted (compared in constant
 * time, never stored). Otherwise the first start creates a token, which the caller prints once;
 * only its hash is kept.
 */
public final class OperatorTokens {
  private final Database db;
  private final Optional<byte[]> configured;

  public OperatorTokens(Database db, Optional<String> configuredToken) {
    this.db = db;
    this.configured = configuredToken.map(Tokens::digest);
  }

  /**
   * Creates the first operator token if none exists and none is configured.
   *
   * @return the new token, to be shown once; empty if a token already existed or is configured
   */
  public Optional<String> createInitialIfNeeded() {
    if (configured.isPresent()) {
      return Optional.empty();
    }
    return db.transaction(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM operator_tokens WHERE revoked = ?")) {
        ps.setBoolean(1, false);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          if (rs.getLong(1) > 0) {
            return Optional.empty();
          }
        }
      }
      return Optional.of(insert(c, "initial"));
    });
  }

  /** Creates a named operator token and returns it (shown once). */
  public String create(String name) {
    return db.transaction(c -> insert(c, name));
  }

  private String insert(java.sql.Connection c, String name) throws java.sql.SQLException {
    String token = Tokens.generate(Tokens.OPERATOR);
    try (PreparedStatement ps = c.prepareStatement(
        "INSERT INTO operator_tokens (id, name, token_hash, revoked, created_at) VALUES (?, ?, ?, ?, ?)")) {
      ps.setString(1, UUID.randomUUID().toString());
      ps.setString(2, name);
      ps.setString(3, Tokens.hash(token));
      ps.setBoolean(4, false);
      db.dialect().setInstant(ps, 5, Instant.now());
      ps.executeUpdate();
    }
    return token;
  }

  /** An operator token as listed (never the token itself, which is not stored). */
  public record Listed(String id, String name, boolean revoked, Instant createdAt) {}

  /** Every operator token, newest first. */
  public java.util.List<Listed> list() {
    return db.read(c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT id, name, revoked, created_at FROM operator_tokens ORDER BY created_at DESC, id")) {
        java.util.List<Listed> out = new java.util.ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.add(new Listed(rs.getString(1), rs.getString(2), rs.getBoolean(3), db.dialect().getInstant(rs, "created_at")));
          }
        }
        return out;
      }
    });
  }

  /** Revokes a token by id; false if there is no such token. */
  public boolean revoke(String id) {
    return db.transaction(c -> {
      try (PreparedStatement ps = c.prepareStatement("UPDATE operator_tokens SET revoked = ? WHERE id = ?")) {
        ps.setBoolean(1, true);
        ps.setString(2, id);
        return ps.executeUpdate() > 0;
      }
    });
  }

  /** The token's id if it is a valid operator token. */
  public Optional<String> lookup(String token) {
    if (configured.isPresent() && Tokens.matches(token, configured.get())) {
      return Optional.of("env:AEGIS_ADMIN_TOKEN");
    }
    if (!token.startsWith(Tokens.OPERATOR)) {
      return Optional.empty();
    }
    return db.read(c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT id FROM operator_tokens WHERE token_hash = ? AND revoked = ?")) {
        ps.setString(1, Tokens.hash(token));
        ps.setBoolean(2, false);
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
        }
      }
    });
  }
}
