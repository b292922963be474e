package io.aegis.server.artifact;

import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * The SQL condition "artifact {@code a} is for this agent", shared by polling and content access
 * so that an agent can fetch exactly what its feed lists.
 *
 * <p>An artifact targets every agent, listed agents, or label sets; a label set matches an agent
 * that has every one of its labels, which is "there are label rows, and none of them is missing
 * from the agent's labels".
 */
final class AgentTargeting {
  /** Needs {@link #bind} at its first parameter. */
  static final String PREDICATE = "(a.target_all = ?"
      + " OR EXISTS (SELECT 1 FROM artifact_targets t WHERE t.artifact_seq = a.seq"
      + "   AND t.target_type = 'agent' AND t.target_value = ?)"
      + " OR (EXISTS (SELECT 1 FROM artifact_targets t WHERE t.artifact_seq = a.seq AND t.target_type = 'label')"
      + "   AND NOT EXISTS (SELECT 1 FROM artifact_targets t WHERE t.artifact_seq = a.seq AND t.target_type = 'label'"
      + "     AND t.target_value NOT IN (SELECT l.name || '=' || l.value FROM agent_labels l WHERE l.agent_id = ?))))";

  private AgentTargeting() {}

  /** Binds the predicate's parameters from {@code index}; returns the next free index. */
  static int bind(PreparedStatement ps, int index, String agentId) throws SQLException {
    ps.setBoolean(index, true);
    ps.setString(index + 1, agentId);
    ps.setString(index + 2, agentId);
    return index + 3;
  }
}
