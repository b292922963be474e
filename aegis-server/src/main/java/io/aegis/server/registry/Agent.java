package io.aegis.server.registry;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.Map;

/**
 * A registered agent as the API shows it.
 *
 * @param publicKey   the agent's Ed25519 identity key, base64 of the raw 32 bytes
 * @param status      {@code active} or {@code inactive}; inactive agents cannot authenticate
 * @param enrolledBy  {@code operator}, or {@code token:<enrollment token id>}
 */
public record Agent(
    String agentId,
    String publicKey,
    String status,
    JsonNode metadata,
    Map<String, String> labels,
    String enrolledBy,
    Instant createdAt,
    Instant updatedAt,
    Instant keyRotatedAt) {

  public static final String ACTIVE = "active";
  public static final String INACTIVE = "inactive";

  /** Whether the agent may authenticate (not part of the API's JSON: {@code status} says it). */
  @com.fasterxml.jackson.annotation.JsonIgnore
  public boolean isActive() {
    return ACTIVE.equals(status);
  }
}
