package io.aegis.server.delivery;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.Map;

/**
 * A message's fate as the API shows it. For a broadcast, {@code agentId} is absent and
 * {@code recipients} counts the per-agent deliveries by status. {@code rejectionReason} is set
 * when the agent refused the message (one of {@link io.aegis.protocol.RejectionReasons#ALL} or
 * {@code other}).
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
    String rejectionReason,
    Boolean broadcast,
    Map<String, Long> recipients) {

  /** The error text a refusal is recorded with; {@link #rejectionOf} reads the reason back. */
  static String refusal(String reason, String agentText) {
    String normal = io.aegis.protocol.RejectionReasons.normalize(reason);
    if (normal.equals(reason)) {
      return REFUSED + reason;
    }
    String text = agentText.length() > 200 ? agentText.substring(0, 200) : agentText;
    return REFUSED + normal + " (" + text.replaceAll("\\p{Cntrl}", "?") + ")";
  }

  /** The rejection reason in an error written by {@link #refusal}, or null. */
  static String rejectionOf(String error) {
    if (error == null || !error.startsWith(REFUSED)) {
      return null;
    }
    String rest = error.substring(REFUSED.length());
    int space = rest.indexOf(' ');
    return space < 0 ? rest : rest.substring(0, space);
  }

  static final String REFUSED = "refused by the agent: ";
}
