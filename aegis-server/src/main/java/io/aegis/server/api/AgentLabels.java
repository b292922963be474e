package io.aegis.server.api;

import java.util.Map;
import java.util.Optional;

/** An agent's labels, for checking an operator token's label selector. Blocking (it may read the store). */
@FunctionalInterface
public interface AgentLabels {
  /** The agent's labels; empty if there is no such agent. */
  Optional<Map<String, String>> of(String agentId);
}
