package io.aegis.agent;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.concurrent.CompletableFuture;

/** Sends the answer to a backend request; implemented by the client, used by {@link AgentMessage}. */
interface Replier {

  /**
   * Queues a {@code response} record on {@code channel} with header {@code in-reply-to: requestId}.
   * Returns the send future (already failed if the outbox is full or the client stopped).
   */
  CompletableFuture<Void> reply(String requestId, String channel, JsonNode body);
}
