package io.aegis.server.policy;

import io.aegis.server.api.ApiException;

/** Validates assignment targets against what the registry stores (column sizes, label form). */
final class AssignmentTargets {
  static final int MAX_AGENT_ID_LENGTH = 255;
  static final int MAX_LABEL_NAME_LENGTH = 63;
  static final int MAX_LABEL_VALUE_LENGTH = 255;

  private AssignmentTargets() {}

  static String agentId(String agentId) {
    if (agentId.isBlank() || agentId.length() > MAX_AGENT_ID_LENGTH || hasControl(agentId)) {
      throw ApiException.invalid("'agent_id' must be 1-" + MAX_AGENT_ID_LENGTH + " printable characters");
    }
    return agentId;
  }

  /** {@code key=value}: the key non-empty and without '=', the value may contain '='. */
  static String label(String label) {
    int eq = label.indexOf('=');
    if (eq <= 0 || eq > MAX_LABEL_NAME_LENGTH || label.length() - eq - 1 > MAX_LABEL_VALUE_LENGTH
        || hasControl(label)) {
      throw ApiException.invalid("'label' must be \"key=value\" with a key of 1-" + MAX_LABEL_NAME_LENGTH
          + " characters and a value of at most " + MAX_LABEL_VALUE_LENGTH);
    }
    return label;
  }

  private static boolean hasControl(String s) {
    return s.chars().anyMatch(Character::isISOControl);
  }
}
