package io.aegis.server.gateway;

import io.aegis.server.api.Access;
import io.aegis.server.api.Scope;
import io.aegis.server.api.ApiRouter;
import io.aegis.server.api.Reply;
import io.aegis.server.cluster.Location;
import io.aegis.server.cluster.Presence;
import io.aegis.server.registry.AgentRegistry;
import io.vertx.core.http.HttpMethod;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * {@code GET /api/v1/agents/{agent_id}/status}: the seed's shape ({@code agent_id, connected,
 * last_seen, channels, session_expires}) plus node, transport, session and connection facts. A
 * session on this node answers from memory; otherwise the cluster's presence says which node
 * holds it and over which transport, and the connections table (written by whichever node holds a
 * WebSocket session) gives its details.
 */
public final class StatusRoutes {
  /** The status answer. Absent values are omitted. */
  record AgentStatus(String agentId, boolean connected, Instant lastSeen, List<String> channels,
                     Instant sessionExpires, String nodeId, String transport, Instant connectedSince,
                     String remoteAddress, Integer protocolVersion, String sessionId) {}

  private final AgentRegistry registry;
  private final ConnectionManager connections;
  private final ConnectionsTable table;
  private final Function<String, List<String>> channels;
  private final Presence presence;

  /** @param channels the channels an agent is subscribed to (from the router) */
  public StatusRoutes(AgentRegistry registry, ConnectionManager connections, ConnectionsTable table,
                      Function<String, List<String>> channels, Presence presence) {
    this.registry = registry;
    this.connections = connections;
    this.table = table;
    this.channels = channels;
    this.presence = presence;
  }

  public void mount(ApiRouter api) {
    api.route(HttpMethod.GET, "/api/v1/agents/:agent_id/status", Access.operatorOrSelf(Scope.READ), r -> {
      String agentId = r.path("agent_id");
      registry.get(agentId); // 404 for an unregistered agent
      return Reply.ok(status(agentId));
    });
  }

  AgentStatus status(String agentId) {
    List<String> subscribed = channels.apply(agentId);
    Optional<AgentSession> live = connections.find(agentId);
    Optional<ConnectionsTable.Row> row = table.find(agentId);
    if (live.isPresent() && live.get().isOpen()) {
      AgentSession s = live.get();
      Map<String, Object> meta = row.map(ConnectionsTable.Row::metadata).orElse(Map.of());
      return new AgentStatus(agentId, true, s.lastHeard(), subscribed, s.expiresAt(),
          (String) meta.getOrDefault("node_id", presence.nodeId()), "websocket", s.connectedAt(), s.remoteAddress(),
          io.aegis.protocol.Protocol.VERSION, s.sessionId());
    }
    Optional<Location> where = presence.locate(agentId).join();
    if (where.isPresent() && where.get().transport() == io.aegis.server.cluster.Transport.HTTP_POLLING) {
      // Polling over HTTP: no connection row; its node knows it polls.
      Instant seen = row.map(ConnectionsTable.Row::lastSeen).orElse(null);
      return new AgentStatus(agentId, true, seen, subscribed, null, where.get().nodeId(), "http_polling", null, null,
          io.aegis.protocol.Protocol.VERSION, null);
    }
    if (row.isEmpty()) {
      return new AgentStatus(agentId, false, null, subscribed, null, null, null, null, null, null, null);
    }
    ConnectionsTable.Row c = row.get();
    Map<String, Object> m = c.metadata();
    Instant expires = m.get("session_expires_at") instanceof String e ? Instant.parse(e) : null;
    // The row says connected until its node writes otherwise; a node that died cannot, and then
    // the cluster's presence (which forgets dead nodes) decides.
    boolean connected = c.active() && (expires == null || expires.isAfter(Instant.now()))
        && (where.isPresent() || !presence.authoritative());
    return new AgentStatus(agentId, connected, c.lastSeen(), subscribed, connected ? expires : null,
        connected ? where.map(Location::nodeId).orElse((String) m.get("node_id")) : (String) m.get("node_id"),
        connected ? "websocket" : null, connected ? c.connectedAt() : null,
        connected ? (String) m.get("remote_address") : null,
        m.get("protocol_version") instanceof Number n ? n.intValue() : null,
        connected ? (String) m.get("session_id") : null);
  }
}
