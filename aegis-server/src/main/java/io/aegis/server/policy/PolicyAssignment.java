package io.aegis.server.policy;

import java.time.Instant;

/**
 * A policy assigned to one agent ({@code target_type} {@code agent}, value its id) or to every
 * agent with a label ({@code label}, value {@code key=value}). Assignments name the policy, not
 * a version: an agent always receives the latest version.
 */
public record PolicyAssignment(String id, String policyName, String targetType, String targetValue, Instant createdAt) {
  public static final String AGENT = "agent";
  public static final String LABEL = "label";
}
