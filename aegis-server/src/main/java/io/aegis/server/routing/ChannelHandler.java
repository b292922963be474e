package io.aegis.server.routing;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Handles agent→backend messages on one channel: the router's extension point. Register one per
 * channel name with {@link MessageRouter#register}.
 *
 * <p>{@link #handle} runs on a worker thread and may block (store writes). What it returns
 * decides the answer the agent gets: for a {@code request}, a {@code response} record carrying the
 * returned value (an empty object if null); for an {@code event}, an {@code ack} once it returns.
 * Throwing {@link io.aegis.server.api.ApiException} answers with an {@code error} record carrying
 * its code and message; any other exception answers {@code internal_error}. Either way the agent
 * never waits for an answer that does not come, and the router never crashes.
 *
 * <p>Implementations must be thread-safe: many agents' messages are handled at once.
 */
@FunctionalInterface
public interface ChannelHandler {
  JsonNode handle(AgentMessage message) throws Exception;
}
