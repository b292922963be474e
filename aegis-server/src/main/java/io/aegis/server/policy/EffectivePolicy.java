package io.aegis.server.policy;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * A policy in force for an agent: its latest version, and every assignment that brings it to
 * the agent ({@code agent} for a direct assignment, {@code label:k=v} for a label's).
 */
public record EffectivePolicy(String name, int version, JsonNode document, List<String> assignedVia) {}
