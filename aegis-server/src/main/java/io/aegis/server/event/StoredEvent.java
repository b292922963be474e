package io.aegis.server.event;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;

/**
 * A stored event.
 *
 * @param timestamp when it happened, by the agent's clock
 * @param receivedAt when the gateway stored it, by the gateway's clock
 */
public record StoredEvent(String id, String agentId, String type, Instant timestamp, Instant receivedAt, JsonNode body) {}
