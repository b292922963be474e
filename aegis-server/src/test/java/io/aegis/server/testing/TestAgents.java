package io.aegis.server.testing;

import io.aegis.server.auth.AgentSessions;
import io.aegis.server.store.Database;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * Puts agents into a test gateway's store and gives them session tokens, for tests of
 * components that serve agents. (Tests of the registry itself go through its REST API.)
 */
public final class TestAgents {
  private TestAgents() {}

  /** Registers an active agent with {@code labels} and returns a session token for it. */
  public static String register(TestGateway gw, String agentId, Map<String, String> labels) {
    Database db = gw.server().database();
    Instant now = Instant.now();
    db.transaction(c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "INSERT INTO agents (agent_id, public_key, status, metadata, labels, enrolled_by, created_at, updated_at) "
              + "VALUES (?, ?, 'active', '{}', ?, 'operator', ?, ?)")) {
        ps.setString(1, agentId);
        ps.setString(2, "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");
        ps.setString(3, new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(labels));
        db.dialect().setInstant(ps, 4, now);
        db.dialect().setInstant(ps, 5, now);
        ps.executeUpdate();
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        throw new IllegalArgumentException(e);
      }
      for (var label : labels.entrySet()) {
        try (PreparedStatement ps = c.prepareStatement(
            "INSERT INTO agent_labels (agent_id, name, value) VALUES (?, ?, ?)")) {
          ps.setString(1, agentId);
          ps.setString(2, label.getKey());
          ps.setString(3, label.getValue());
          ps.executeUpdate();
        }
      }
      return null;
    });
    return new AgentSessions(db, Duration.ofHours(1)).issue(agentId).token();
  }

  /**
   * Replaces the labels of {@code agentId} and bumps its {@code updated_at}, as the registry does
   * when an operator relabels an agent.
   */
  public static void setLabels(TestGateway gw, String agentId, Map<String, String> labels) {
    Database db = gw.server().database();
    db.transaction(c -> {
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM agent_labels WHERE agent_id = ?")) {
        ps.setString(1, agentId);
        ps.executeUpdate();
      }
      for (var label : labels.entrySet()) {
        try (PreparedStatement ps = c.prepareStatement(
            "INSERT INTO agent_labels (agent_id, name, value) VALUES (?, ?, ?)")) {
          ps.setString(1, agentId);
          ps.setString(2, label.getKey());
          ps.setString(3, label.getValue());
          ps.executeUpdate();
        }
      }
      try (PreparedStatement ps = c.prepareStatement("UPDATE agents SET labels = ?, updated_at = ? WHERE agent_id = ?")) {
        ps.setString(1, new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(labels));
        db.dialect().setInstant(ps, 2, Instant.now());
        ps.setString(3, agentId);
        ps.executeUpdate();
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        throw new IllegalArgumentException(e);
      }
      return null;
    });
  }
}
