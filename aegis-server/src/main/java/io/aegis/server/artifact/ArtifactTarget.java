package io.aegis.server.artifact;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Which agents an artifact is for; exactly one component is set. {@code all}: every agent.
 * {@code labels}: every agent that has all of these labels. {@code agentIds}: these agents.
 */
public record ArtifactTarget(Boolean all, Map<String, String> labels, List<String> agentIds) {

  public static ArtifactTarget everyone() {
    return new ArtifactTarget(true, null, null);
  }

  /** Labels are kept sorted by key, so the target reads the same however it was given. */
  public static ArtifactTarget withLabels(Map<String, String> labels) {
    return new ArtifactTarget(null, Collections.unmodifiableSortedMap(new TreeMap<>(labels)), null);
  }

  public static ArtifactTarget agents(List<String> agentIds) {
    return new ArtifactTarget(null, null, List.copyOf(agentIds));
  }

  /** Whether this target is every agent. */
  public boolean targetsEveryone() {
    return Boolean.TRUE.equals(all);
  }
}
