package io.aegis.server.policy;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;

/**
 * One immutable version of a policy. A policy is its name and its versions 1, 2, 3…; every
 * update adds a version, and the highest one is the policy in force.
 *
 * @param document the policy itself, any JSON object (the gateway does not interpret it)
 * @param description the operator's note for this version, or null
 */
public record PolicyVersion(String name, int version, JsonNode document, String description, Instant createdAt) {}
