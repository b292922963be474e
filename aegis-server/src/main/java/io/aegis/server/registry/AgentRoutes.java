package io.aegis.server.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.aegis.protocol.Identifiers;
import io.aegis.protocol.IdentityPublicKey;
import io.aegis.protocol.InvalidKeyException;
import io.aegis.server.api.Access;
import io.aegis.server.api.Scope;
import io.aegis.server.api.ApiException;
import io.aegis.server.api.ApiJson;
import io.aegis.server.api.ApiRequest;
import io.aegis.server.api.ApiRouter;
import io.aegis.server.api.Paging;
import io.aegis.server.api.Reply;
import io.vertx.core.http.HttpMethod;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The agent registry's REST API (operators register, list, inspect, deactivate, reactivate and
 * delete agents; an agent may read its own record).
 */
public final class AgentRoutes {
  /** Largest accepted metadata document, serialized. */
  static final int MAX_METADATA_BYTES = 16 * 1024;

  record RegisterRequest(String agentId, String publicKey, JsonNode metadata, Map<String, String> labels) {}

  record UpdateRequest(JsonNode metadata, Map<String, String> labels) {}

  record AgentList(List<Agent> agents, String nextCursor) {}

  private final AgentRegistry registry;

  public AgentRoutes(AgentRegistry registry) {
    this.registry = registry;
  }

  public void mount(ApiRouter api) {
    api.route(HttpMethod.POST, "/api/v1/agents", Access.operator(Scope.AGENTS_WRITE), this::register);
    api.route(HttpMethod.GET, "/api/v1/agents", Access.operator(Scope.READ).selective(), this::list);
    api.route(HttpMethod.GET, "/api/v1/agents/:agent_id", Access.operatorOrSelf(Scope.READ),
        r -> Reply.ok(registry.get(r.path("agent_id"))));
    api.route(HttpMethod.PATCH, "/api/v1/agents/:agent_id", Access.operator(Scope.AGENTS_WRITE), this::update);
    api.route(HttpMethod.POST, "/api/v1/agents/:agent_id/deactivate", Access.operator(Scope.AGENTS_WRITE),
        r -> Reply.ok(registry.setStatus(r.path("agent_id"), Agent.INACTIVE)));
    api.route(HttpMethod.POST, "/api/v1/agents/:agent_id/reactivate", Access.operator(Scope.AGENTS_WRITE),
        r -> Reply.ok(registry.setStatus(r.path("agent_id"), Agent.ACTIVE)));
    api.route(HttpMethod.DELETE, "/api/v1/agents/:agent_id", Access.operator(Scope.AGENTS_WRITE), r -> {
      registry.delete(r.path("agent_id"));
      return Reply.noContent();
    });
  }

  private Reply register(ApiRequest r) {
    RegisterRequest body = r.body(RegisterRequest.class);
    String agentId = validAgentId(body.agentId());
    String key = validPublicKey(body.publicKey());
    JsonNode metadata = validMetadata(body.metadata());
    Map<String, String> labels = Labels.validate(body.labels());
    return Reply.created(registry.register(agentId, key, metadata, labels));
  }

  private Reply list(ApiRequest r) {
    List<Labels.Selector> selectors = new java.util.ArrayList<>(
        r.queryAll("label").stream().map(Labels::parseSelector).toList());
    // A token restricted to a label lists only the agents carrying it.
    r.agentSelector().ifPresent(s -> selectors.add(new Labels.Selector(s.name(), s.value())));
    Optional<String> status = r.query("status").map(s -> {
      if (!s.equals(Agent.ACTIVE) && !s.equals(Agent.INACTIVE)) {
        throw ApiException.invalid("status must be active or inactive");
      }
      return s;
    });
    int limit = Paging.limit(r);
    Optional<String> after = Paging.cursor(r, 1).map(parts -> parts.get(0));
    List<Agent> rows = registry.list(new AgentRegistry.Filter(selectors, status), after, limit);
    boolean more = rows.size() > limit;
    List<Agent> page = more ? rows.subList(0, limit) : rows;
    return Reply.ok(new AgentList(page, more ? Paging.encode(page.get(page.size() - 1).agentId()) : null));
  }

  private Reply update(ApiRequest r) {
    UpdateRequest body = r.body(UpdateRequest.class);
    if (body.metadata() == null && body.labels() == null) {
      throw ApiException.invalid("give metadata and/or labels to replace");
    }
    return Reply.ok(registry.update(r.path("agent_id"),
        Optional.ofNullable(body.metadata()).map(AgentRoutes::validMetadata),
        Optional.ofNullable(body.labels()).map(Labels::validate)));
  }


  static String validAgentId(String agentId) {
    if (agentId == null) {
      throw ApiException.invalid("agent_id is required");
    }
    String error = Identifiers.agentIdError(agentId);
    if (error != null) {
      throw ApiException.invalid("invalid agent_id: " + error);
    }
    return agentId;
  }

  /** A base64 Ed25519 key that is 32 bytes, on the curve and not of small order; 400 says which rule failed. */
  static String validPublicKey(String publicKey) {
    if (publicKey == null) {
      throw ApiException.invalid("public_key is required (base64 of the raw 32-byte Ed25519 key)");
    }
    try {
      return IdentityPublicKey.parseBase64(publicKey).base64();
    } catch (InvalidKeyException e) {
      throw ApiException.badRequest("invalid_public_key", e.getMessage());
    }
  }

  static JsonNode validMetadata(JsonNode metadata) {
    if (metadata == null || metadata.isNull()) {
      return JsonNodeFactory.instance.objectNode();
    }
    if (!metadata.isObject()) {
      throw ApiException.invalid("metadata must be a JSON object");
    }
    if (ApiJson.write(metadata).length > MAX_METADATA_BYTES) {
      throw ApiException.tooLarge("metadata must be at most " + MAX_METADATA_BYTES + " bytes of JSON");
    }
    return metadata;
  }
}
