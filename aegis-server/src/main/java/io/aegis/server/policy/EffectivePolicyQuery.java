package io.aegis.server.policy;

import io.aegis.server.api.ApiJson;
import io.aegis.server.api.ETags;
import io.aegis.server.store.JsonColumns;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;

/** Resolves an agent's effective policies in one query over assignments, labels and latest versions. */
final class EffectivePolicyQuery {
  // Label assignments hold "key=value", so they join against the agent's labels spelled the same way.
  private static final String SQL = "SELECT p.name, p.version, p.document, a.target_type, a.target_value "
      + "FROM policy_assignments a "
      + "JOIN policies p ON p.name = a.policy_name "
      + " AND p.version = (SELECT MAX(v.version) FROM policies v WHERE v.name = a.policy_name) "
      + "WHERE (a.target_type = 'agent' AND a.target_value = ?) "
      + "   OR (a.target_type = 'label' AND a.target_value IN "
      + "       (SELECT l.name || '=' || l.value FROM agent_labels l WHERE l.agent_id = ?))";

  private EffectivePolicyQuery() {}

  static Optional<EffectivePolicies> run(Connection c, String agentId) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM agents WHERE agent_id = ?")) {
      ps.setString(1, agentId);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
      }
    }
    // Sorted in Java, not SQL, so that the order (and so the ETag) is the same on both stores
    // whatever the database's collation.
    TreeMap<String, Builder> byName = new TreeMap<>();
    try (PreparedStatement ps = c.prepareStatement(SQL)) {
      ps.setString(1, agentId);
      ps.setString(2, agentId);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          Builder b = byName.computeIfAbsent(rs.getString("name"), n -> new Builder());
          b.version = rs.getInt("version");
          b.document = rs.getString("document");
          String type = rs.getString("target_type");
          b.via.add(type.equals(PolicyAssignment.AGENT) ? "agent" : "label:" + rs.getString("target_value"));
        }
      }
    }
    List<EffectivePolicy> policies = new ArrayList<>(byName.size());
    byName.forEach((name, b) -> {
      // "agent" sorts before "label:…", so a direct assignment is listed first.
      b.via.sort(null);
      policies.add(new EffectivePolicy(name, b.version, JsonColumns.read(b.document), List.copyOf(b.via)));
    });
    String etag = ETags.digest(agentId, ApiJson.write(policies));
    return Optional.of(new EffectivePolicies(agentId, List.copyOf(policies), etag));
  }

  private static final class Builder {
    int version;
    String document;
    final List<String> via = new ArrayList<>();
  }
}
