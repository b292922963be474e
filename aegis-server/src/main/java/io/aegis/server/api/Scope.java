package io.aegis.server.api;

import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

/**
 * What an operator token may do (docs/API.md "Operator tokens and scopes"). Every operator route
 * declares the one scope it needs; {@code admin} holds every scope, because a token that can
 * create tokens can give itself any of them anyway.
 */
public enum Scope {
  /** Every GET an operator may make: agents, statuses, messages, policies, artifacts, events, nodes. */
  READ("read"),
  /** Sends to one agent (single and batched) and their cancellation. */
  SEND("send"),
  /** Broadcasts. */
  BROADCAST("broadcast"),
  /** The registry: register, update, deactivate, reactivate and delete agents; enrollment tokens. */
  AGENTS_WRITE("agents:write"),
  /** What agents are told to run: policies, their assignments, artifacts. */
  POLICIES_WRITE("policies:write"),
  /** Approving or rejecting another token's send or broadcast that awaits approval. */
  APPROVE("approve"),
  /** Operator tokens, the audit log, draining nodes; and every other scope. */
  ADMIN("admin");

  private final String wire;

  Scope(String wire) {
    this.wire = wire;
  }

  /** The scope's name in the API ({@code agents:write}). */
  public String wire() {
    return wire;
  }

  @Override
  public String toString() {
    return wire;
  }

  public static Optional<Scope> of(String wire) {
    for (Scope s : values()) {
      if (s.wire.equals(wire)) {
        return Optional.of(s);
      }
    }
    return Optional.empty();
  }

  /** Whether a token holding {@code held} may act where {@code this} is needed. */
  public boolean grantedBy(Set<Scope> held) {
    return held.contains(this) || held.contains(ADMIN);
  }

  /** Every scope, as the bootstrap token ({@code AEGIS_ADMIN_TOKEN}) holds them. */
  public static Set<Scope> all() {
    return EnumSet.allOf(Scope.class);
  }
}
