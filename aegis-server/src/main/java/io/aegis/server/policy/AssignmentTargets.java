package io.aegis.server.policy;

import io.aegis.protocol.Identifiers;
import io.aegis.server.api.ApiException;
import io.aegis.server.registry.Labels;

/**
 * Validates assignment targets with the registry's own rules (the agent id syntax, the label
 * syntax), so that an assignment no agent could ever match is refused rather than stored.
 */
final class AssignmentTargets {
  private AssignmentTargets() {}

  static String agentId(String agentId) {
    String error = Identifiers.agentIdError(agentId);
    if (error != null) {
      throw ApiException.invalid("'agent_id' is invalid: " + error);
    }
    return agentId;
  }

  /** {@code key=value}, each following the label syntax. */
  static String label(String label) {
    int eq = label.indexOf('=');
    String error = eq <= 0 ? "it has no key" : Labels.error(label.substring(0, eq), label.substring(eq + 1));
    if (error != null) {
      throw ApiException.invalid("'label' must be \"key=value\" following the label syntax: " + error);
    }
    return label;
  }
}
