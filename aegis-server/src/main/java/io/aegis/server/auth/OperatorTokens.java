package io.aegis.server.auth;

import io.aegis.server.api.Caller;
import io.aegis.server.api.Scope;
import io.aegis.server.store.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * Operator tokens, with their scopes, the label their agents carry, and an expiry.
 * {@code AEGIS_ADMIN_TOKEN}, when set, is always accepted with every scope (compared in constant
 * time, never stored). Otherwise the first start creates an {@code admin} token, which the caller
 * prints once; only hashes are kept.
 *
 * <p>Every request looks its token up in the store, so a revocation or an expiry takes effect at
 * once on every node that shares the store.
 */
public final class OperatorTokens {
  /** The id under which the bootstrap token appears in the audit log. */
  public static final String BOOTSTRAP_ID = "env:AEGIS_ADMIN_TOKEN";
  private static final Caller.Operator BOOTSTRAP = Caller.Operator.bootstrap(BOOTSTRAP_ID);

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
      return Optional.of(insert(c, new Spec("initial", EnumSet.of(Scope.ADMIN), Optional.empty(), Optional.empty()),
          "first start").token());
    });
  }

  /** What a new token may do. */
  public record Spec(String name, Set<Scope> scopes, Optional<Caller.AgentSelector> agents,
                     Optional<Instant> expiresAt) {}

  /** A token just created: its listing and the token itself (shown once, never stored). */
  public record Created(Listed listed, String token) {}

  /** Creates a named token with every scope ({@code admin}) and returns it (shown once). */
  public String create(String name) {
    return create(new Spec(name, EnumSet.of(Scope.ADMIN), Optional.empty(), Optional.empty()), "bin/aegis admin").token();
  }

  /** Creates a token as {@code spec} says; {@code createdBy} is the creating token's id (or where it came from). */
  public Created create(Spec spec, String createdBy) {
    return db.transaction(c -> insert(c, spec, createdBy));
  }

  private Created insert(Connection c, Spec spec, String createdBy) throws SQLException {
    String token = Tokens.generate(Tokens.OPERATOR);
    String id = UUID.randomUUID().toString();
    Instant now = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
    try (PreparedStatement ps = c.prepareStatement(
        "INSERT INTO operator_tokens (id, name, token_hash, revoked, created_at, scopes, agents_label, expires_at, "
            + "created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
      ps.setString(1, id);
      ps.setString(2, spec.name());
      ps.setString(3, Tokens.hash(token));
      ps.setBoolean(4, false);
      db.dialect().setInstant(ps, 5, now);
      ps.setString(6, scopesColumn(spec.scopes()));
      ps.setString(7, spec.agents().map(Caller.AgentSelector::toString).orElse(null));
      db.dialect().setInstant(ps, 8, spec.expiresAt().orElse(null));
      ps.setString(9, createdBy);
      ps.executeUpdate();
    }
    return new Created(new Listed(id, spec.name(), Set.copyOf(spec.scopes()), spec.agents(), spec.expiresAt(), false,
        now, createdBy), token);
  }

  /** An operator token as listed (never the token itself, which is not stored). */
  public record Listed(String id, String name, Set<Scope> scopes, Optional<Caller.AgentSelector> agents,
                       Optional<Instant> expiresAt, boolean revoked, Instant createdAt, String createdBy) {
    /** Whether it is still accepted at {@code now}. */
    public boolean active(Instant now) {
      return !revoked && expiresAt.map(now::isBefore).orElse(true);
    }
  }

  private static final String COLUMNS =
      "id, name, scopes, agents_label, expires_at, revoked, created_at, created_by FROM operator_tokens";

  /** Every operator token, newest first. */
  public List<Listed> list() {
    return db.read(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " ORDER BY created_at DESC, id")) {
        List<Listed> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.add(listed(rs));
          }
        }
        return out;
      }
    });
  }

  /** One token by id. */
  public Optional<Listed> find(String id) {
    return db.read(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " WHERE id = ?")) {
        ps.setString(1, id);
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next() ? Optional.of(listed(rs)) : Optional.<Listed>empty();
        }
      }
    });
  }

  private Listed listed(ResultSet rs) throws SQLException {
    String label = rs.getString("agents_label");
    return new Listed(rs.getString("id"), rs.getString("name"), scopes(rs.getString("scopes")),
        Optional.ofNullable(label).map(OperatorTokens::selector),
        Optional.ofNullable(db.dialect().getInstant(rs, "expires_at")), rs.getBoolean("revoked"),
        db.dialect().getInstant(rs, "created_at"), rs.getString("created_by"));
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

  /** Whether the token with this id is still accepted (the bootstrap token: while it is configured). */
  public boolean active(String id) {
    if (id.equals(BOOTSTRAP_ID)) {
      return configured.isPresent();
    }
    return find(id).map(t -> t.active(Instant.now())).orElse(false);
  }

  /** The operator a token stands for, if it is a live (known, not revoked, not expired) operator token. */
  public Optional<Caller.Operator> lookup(String token) {
    if (configured.isPresent() && Tokens.matches(token, configured.get())) {
      return Optional.of(BOOTSTRAP);
    }
    if (!token.startsWith(Tokens.OPERATOR)) {
      return Optional.empty();
    }
    return db.read(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " WHERE token_hash = ?")) {
        ps.setString(1, Tokens.hash(token));
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            return Optional.<Caller.Operator>empty();
          }
          Listed t = listed(rs);
          return t.active(Instant.now())
              ? Optional.of(new Caller.Operator(t.id(), t.name(), t.scopes(), t.agents()))
              : Optional.<Caller.Operator>empty();
        }
      }
    });
  }

  private static String scopesColumn(Set<Scope> scopes) {
    return scopes.stream().sorted().map(Scope::wire).collect(Collectors.joining(","));
  }

  private static Set<Scope> scopes(String column) {
    Set<Scope> out = EnumSet.noneOf(Scope.class);
    for (String s : column.split(",")) {
      Scope.of(s.strip()).ifPresent(out::add);
    }
    return out;
  }

  private static Caller.AgentSelector selector(String label) {
    int eq = label.indexOf('=');
    return new Caller.AgentSelector(label.substring(0, eq), label.substring(eq + 1));
  }
}
