package io.aegis.server.event;

import com.fasterxml.jackson.databind.JsonNode;
import io.aegis.server.api.ApiException;
import io.aegis.server.api.ApiJson;
import io.aegis.server.routing.AgentMessage;
import io.aegis.server.routing.ChannelHandler;

/**
 * Channel {@code events}: an agent's {@code event} records carry the same batch as
 * {@code POST /api/v1/agents/{id}/events} and land in the event store; the agent's ack follows
 * the commit.
 */
public final class EventsChannel implements ChannelHandler {
  private final EventStore store;

  public EventsChannel(EventStore store) {
    this.store = store;
  }

  @Override
  public JsonNode handle(AgentMessage message) {
    if (!message.type().equals("event")) {
      throw ApiException.badRequest("unsupported_type", "channel 'events' takes event records");
    }
    EventBatch batch = ApiJson.read(ApiJson.write(message.body()), EventBatch.class);
    store.append(message.agentId(), EventBatch.events(batch));
    return null;
  }
}
