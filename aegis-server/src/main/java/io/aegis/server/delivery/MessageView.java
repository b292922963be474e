package io.aegis.server.delivery;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.Map;

/**
 * A message's fate as the API shows it. For a broadcast, {@code agentId} is absent and
 * {@code recipients} counts the per-agent deliveries by status.
 */
public record MessageView(
    String messageId,
    String agentId,
    String channel,
    String messageType,
    String status,
    Priority priority,
    int attempts,
    int maxRetries,
    Instant createdAt,
    Instant sentAt,
    Instant deliveredAt,
    Instant expiresAt,
    JsonNode message,
    JsonNode response,
    Instant respondedAt,
    String error,
    Boolean broadcast,
    Map<String, Long> recipients) {}
