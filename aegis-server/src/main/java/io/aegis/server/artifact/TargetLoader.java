package io.aegis.server.artifact;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Reads the targets of a page of artifacts in one range query, and rebuilds each {@link ArtifactTarget}. */
final class TargetLoader {
  private final Map<Long, List<String>> agents = new HashMap<>();
  private final Map<Long, Map<String, String>> labels = new HashMap<>();

  private TargetLoader() {}

  static TargetLoader load(Connection c, long fromSeq, long toSeq) throws SQLException {
    TargetLoader t = new TargetLoader();
    try (PreparedStatement ps = c.prepareStatement("SELECT artifact_seq, target_type, target_value FROM artifact_targets "
        + "WHERE artifact_seq BETWEEN ? AND ?")) {
      ps.setLong(1, Math.min(fromSeq, toSeq));
      ps.setLong(2, Math.max(fromSeq, toSeq));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          long seq = rs.getLong(1);
          String value = rs.getString(3);
          if (rs.getString(2).equals("agent")) {
            t.agents.computeIfAbsent(seq, s -> new ArrayList<>()).add(value);
          } else {
            // Label keys never contain '=', so the first '=' separates key from value.
            int eq = value.indexOf('=');
            t.labels.computeIfAbsent(seq, s -> new TreeMap<>()).put(value.substring(0, eq), value.substring(eq + 1));
          }
        }
      }
    }
    return t;
  }

  ArtifactTarget of(long seq) {
    List<String> ids = agents.get(seq);
    if (ids != null) {
      // Sorted here rather than in SQL so that both stores list them in the same order.
      return ArtifactTarget.agents(ids.stream().sorted().toList());
    }
    Map<String, String> set = labels.get(seq);
    return ArtifactTarget.withLabels(set == null ? Map.of() : set);
  }
}
