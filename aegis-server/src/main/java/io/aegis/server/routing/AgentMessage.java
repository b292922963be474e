package io.aegis.server.routing;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;

/**
 * An agent→backend message as a {@link ChannelHandler} sees it: decrypted, its signature (if the
 * policy requires one) verified, its body parsed.
 *
 * @param agentId the authenticated sender
 * @param id      the message id the agent chose
 * @param type    {@code event} or {@code request}
 */
public record AgentMessage(String agentId, String id, String type, String channel, Map<String, String> headers,
                           JsonNode body) {}
