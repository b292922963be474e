package io.aegis.server.policy;

import com.fasterxml.jackson.databind.JsonNode;
import io.aegis.server.api.ApiException;
import io.aegis.server.api.ApiJson;
import io.aegis.server.routing.AgentMessage;
import io.aegis.server.routing.ChannelHandler;

/**
 * Channel {@code policy}: a {@code request} is answered with the agent's effective policy set,
 * the same document as {@code GET /api/v1/agents/{id}/policies}. Changes are also pushed on this
 * channel without being asked (see {@code push.PolicyPush}).
 */
public final class PolicyChannel implements ChannelHandler {
  private final PolicyStore store;

  public PolicyChannel(PolicyStore store) {
    this.store = store;
  }

  @Override
  public JsonNode handle(AgentMessage message) {
    if (!message.type().equals("request")) {
      throw ApiException.badRequest("unsupported_type", "channel 'policy' takes request records");
    }
    return ApiJson.MAPPER.valueToTree(store.effectivePolicies(message.agentId())
        .orElseThrow(() -> ApiException.notFound("agent '" + message.agentId() + "' is not registered")));
  }
}
