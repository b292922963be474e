package io.aegis.server.artifact;

import com.fasterxml.jackson.databind.JsonNode;
import io.aegis.server.api.ApiException;
import io.aegis.server.api.ApiJson;
import io.aegis.server.routing.AgentMessage;
import io.aegis.server.routing.ChannelHandler;
import java.util.List;

/**
 * Channel {@code artifacts}: the polling API inside the session. A {@code request} with body
 * {@code {"since": "<cursor>", "limit": n}} is answered with {@code {"artifacts": [...], "cursor":
 * "..."}}, exactly as {@code GET /api/v1/agents/{id}/artifacts?since=} would answer.
 */
public final class ArtifactsChannel implements ChannelHandler {
  static final int MAX_LIMIT = 100;

  private final ArtifactStore store;

  public ArtifactsChannel(ArtifactStore store) {
    this.store = store;
  }

  @Override
  public JsonNode handle(AgentMessage message) {
    if (!message.type().equals("request")) {
      throw ApiException.badRequest("unsupported_type", "channel 'artifacts' takes request records");
    }
    JsonNode since = message.body().path("since");
    long after;
    try {
      after = since.isMissingNode() || since.isNull() ? 0 : Long.parseLong(since.asText());
    } catch (NumberFormatException e) {
      throw ApiException.badRequest("invalid_cursor", "since must be a cursor this API returned");
    }
    int limit = Math.max(1, Math.min(MAX_LIMIT, message.body().path("limit").asInt(MAX_LIMIT)));
    long max = store.feedState(message.agentId()).map(FeedState::maxSeq).orElse(0L);
    List<AgentArtifact> items = after >= max ? List.of() : store.feed(message.agentId(), after, limit);
    String cursor = items.isEmpty() ? Long.toString(after) : items.get(items.size() - 1).cursor();
    return ApiJson.MAPPER.valueToTree(new ArtifactRoutes.Feed(items, cursor));
  }
}
