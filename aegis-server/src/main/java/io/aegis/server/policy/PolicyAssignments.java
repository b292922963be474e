package io.aegis.server.policy;

import io.aegis.server.api.ApiException;
import io.aegis.server.store.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * Which policies apply to which agents: assignments to an agent id or to a label
 * {@code key=value}. An assignment needs the policy to exist; the agent need not (an agent
 * enrolled later with that id receives the policy).
 *
 * <p>Thread-safe. Methods block on the store.
 */
public final class PolicyAssignments {
  private static final String COLUMNS = "id, policy_name, target_type, target_value, created_at";

  private final Database db;
  private final Consumer<PolicyChange> changes;

  PolicyAssignments(Database db, Consumer<PolicyChange> changes) {
    this.db = db;
    this.changes = changes;
  }

  /**
   * Assigns policy {@code policyName} to a target.
   *
   * @throws ApiException 404 if the policy does not exist, 409 {@code already_assigned} if the
   *     target already has it
   */
  public PolicyAssignment assign(String policyName, String targetType, String targetValue) {
    Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    PolicyAssignment a = new PolicyAssignment(UUID.randomUUID().toString(), policyName, targetType, targetValue, now);
    int version = db.transaction(c -> {
      int latest = latestVersion(c, policyName);
      if (latest == 0) {
        throw ApiException.notFound("no policy named '" + policyName + "'");
      }
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO policy_assignments (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?)")) {
        ps.setString(1, a.id());
        ps.setString(2, policyName);
        ps.setString(3, targetType);
        ps.setString(4, targetValue);
        db.dialect().setInstant(ps, 5, now);
        ps.executeUpdate();
      } catch (SQLException e) {
        if (db.dialect().isUniqueViolation(e)) {
          throw ApiException.conflict("already_assigned",
              "policy '" + policyName + "' is already assigned to " + targetType + " '" + targetValue + "'");
        }
        throw e;
      }
      return latest;
    });
    changes.accept(new PolicyChange(policyName, version, PolicyChange.Kind.ASSIGNMENTS_CHANGED));
    return a;
  }

  /**
   * The assignments of {@code policyName} after the given target ({@code ("", "")} for the first
   * page), ordered by target type then value.
   */
  public List<PolicyAssignment> list(String policyName, String afterType, String afterValue, int limit) {
    return db.read(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM policy_assignments "
          + "WHERE policy_name = ? AND (target_type > ? OR (target_type = ? AND target_value > ?)) "
          + "ORDER BY target_type, target_value LIMIT ?")) {
        ps.setString(1, policyName);
        ps.setString(2, afterType);
        ps.setString(3, afterType);
        ps.setString(4, afterValue);
        ps.setInt(5, limit);
        try (ResultSet rs = ps.executeQuery()) {
          List<PolicyAssignment> out = new ArrayList<>();
          while (rs.next()) {
            out.add(new PolicyAssignment(rs.getString("id"), rs.getString("policy_name"), rs.getString("target_type"),
                rs.getString("target_value"), db.dialect().getInstant(rs, "created_at")));
          }
          return out;
        }
      }
    });
  }

  /** Removes assignment {@code id} of {@code policyName}; false if the policy has no such assignment. */
  public boolean unassign(String policyName, String id) {
    int version = db.transaction(c -> {
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM policy_assignments WHERE id = ? AND policy_name = ?")) {
        ps.setString(1, id);
        ps.setString(2, policyName);
        return ps.executeUpdate() == 0 ? 0 : latestVersion(c, policyName);
      }
    });
    if (version == 0) {
      return false;
    }
    changes.accept(new PolicyChange(policyName, version, PolicyChange.Kind.ASSIGNMENTS_CHANGED));
    return true;
  }

  private static int latestVersion(Connection c, String policyName) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT COALESCE(MAX(version), 0) FROM policies WHERE name = ?")) {
      ps.setString(1, policyName);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }
}
