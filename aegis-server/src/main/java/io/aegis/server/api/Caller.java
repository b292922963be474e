package io.aegis.server.api;

import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Who made an API request, established from its bearer token. */
public sealed interface Caller {

  /** No credentials (public endpoints: health, auth, enrollment, the OpenAPI document). */
  record Anonymous() implements Caller {}

  /**
   * An operator or backend service holding an operator token.
   *
   * @param tokenId the token's id ({@code env:AEGIS_ADMIN_TOKEN} for the bootstrap token)
   * @param name what the token was created for
   * @param scopes what it may do
   * @param agents the label ({@code name=value}) an agent must carry for this token to address
   *     it; empty: every agent
   */
  record Operator(String tokenId, String name, Set<Scope> scopes, Optional<AgentSelector> agents)
      implements Caller {
    public Operator {
      scopes = Set.copyOf(scopes);
    }

    /** The bootstrap token: every scope, every agent. */
    public static Operator bootstrap(String tokenId) {
      return new Operator(tokenId, "AEGIS_ADMIN_TOKEN", Scope.all(), Optional.empty());
    }

    /** Whether this token may address an agent carrying {@code labels}. */
    public boolean mayAddress(Map<String, String> labels) {
      return agents.isEmpty() || agents.get().value().equals(labels.get(agents.get().name()));
    }

    /** Whether this token may address {@code agentId} (one that does not exist carries no label). */
    public boolean mayAddress(String agentId, AgentLabels labels) {
      return agents.isEmpty() || labels.of(agentId).map(this::mayAddress).orElse(false);
    }
  }

  /** The label a restricted operator token's agents carry: {@code {"label": "name=value"}}. */
  record AgentSelector(String name, String value) {
    @Override
    public String toString() {
      return name + "=" + value;
    }
  }

  /** An agent holding a session token from {@code POST /api/v1/auth} or its WebSocket session. */
  record Agent(String agentId) implements Caller {}

  Caller ANONYMOUS = new Anonymous();
}
