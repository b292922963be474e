package io.aegis.server.event;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;

/**
 * An event as an agent reports it, before it is stored.
 *
 * @param type what happened, in the agent's vocabulary ({@code process.start}, {@code yara:match}); see {@link EventStore#TYPE}
 * @param timestamp when it happened, by the agent's clock
 * @param body the event's details, a JSON object the gateway does not interpret
 */
public record Event(String type, Instant timestamp, JsonNode body) {}
