package io.aegis.server.cluster;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.aegis.server.delivery.QueuedMessage;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster's events over Redis pub/sub. Each event is told to this node's listeners at once
 * (as on a node alone) and published for the others:
 *
 * <ul>
 *   <li>committed messages go only to the node whose presence holds their agent, on its own
 *       channel ({@code inbox:<node id>}), in one notice per node that carries a broadcast's
 *       command once; messages for agents no node holds go nowhere (their agents read them from
 *       the store when they connect);
 *   <li>every other event goes to every node, on {@code events}; a node ignores its own.
 * </ul>
 *
 * <p>Pub/sub delivers at most once and only to nodes listening at that moment: a notice lost to a
 * restart or an outage delays what it announced until the sweep, a session's backlog read or the
 * store's token check catches up (see {@link NodeEvents}). Notices arrive on the subscriber's
 * event loop; listeners must not block there.
 *
 * <p>Thread-safe.
 */
final class RedisNodeEvents implements NodeEvents {
  private static final Logger log = LoggerFactory.getLogger(RedisNodeEvents.class);
  /** Responses up to this size travel with their notice; larger ones are read from the store. */
  static final int MAX_CARRIED_RESPONSE = 16 * 1024;

  private final LocalNodeEvents local;
  private final RedisPresence presence;
  private final RedisLink link;
  private final Keys keys;
  private final String origin;
  private final MeterRegistry meters;
  private final Map<String, Counter> counters = new ConcurrentHashMap<>();

  RedisNodeEvents(LocalNodeEvents local, RedisPresence presence, RedisLink link, Keys keys, String origin,
                  MeterRegistry meters) {
    this.local = local;
    this.presence = presence;
    this.link = link;
    this.keys = keys;
    this.origin = origin;
    this.meters = meters;
  }

  /** Starts hearing the other nodes (and again after every reconnect). */
  void start(String nodeId) {
    link.subscribe(List.of(keys.everyone(), keys.inbox(nodeId)), this::received);
  }

  @Override
  public void listen(Listener listener) {
    local.listen(listener);
  }

  @Override
  public CompletableFuture<Set<String>> messagesCommitted(List<QueuedMessage> messages) {
    Set<String> agents = new HashSet<>();
    messages.forEach(m -> agents.add(m.agentId()));
    return presence.locateAll(agents).thenApply(located -> {
      List<QueuedMessage> here = new ArrayList<>();
      Map<String, List<QueuedMessage>> byNode = new HashMap<>();
      for (QueuedMessage m : messages) {
        Location l = located.get(m.agentId());
        if (l == null) {
          continue;
        }
        if (l.nodeId().equals(presence.nodeId())) {
          here.add(m);
        } else {
          byNode.computeIfAbsent(l.nodeId(), k -> new ArrayList<>()).add(m);
        }
      }
      if (!here.isEmpty()) {
        local.tell("messages committed", l -> l.onMessagesCommitted(here));
      }
      byNode.forEach((node, rows) -> {
        count("sent", Notices.DUE);
        link.publish(keys.inbox(node), Notices.due(origin, rows));
      });
      return located.keySet();
    }).exceptionally(e -> {
      log.warn("cannot route committed messages: {}", e.toString());
      return Set.of();
    });
  }

  @Override
  public void backlogWaiting(List<String> agentIds) {
    presence.locateAll(agentIds).thenAccept(located -> {
      List<String> here = new ArrayList<>();
      Map<String, List<String>> byNode = new HashMap<>();
      located.forEach((agentId, l) -> (l.nodeId().equals(presence.nodeId()) ? here
          : byNode.computeIfAbsent(l.nodeId(), k -> new ArrayList<>())).add(agentId));
      if (!here.isEmpty()) {
        local.backlogWaiting(here);
      }
      byNode.forEach((node, agents) -> {
        count("sent", Notices.BACKLOG);
        ObjectNode n = Notices.notice(Notices.BACKLOG, origin);
        agents.forEach(n.putArray("agents")::add);
        link.publish(keys.inbox(node), Notices.bytes(n));
      });
    });
  }

  @Override
  public void messageCancelled(String messageId) {
    local.messageCancelled(messageId);
    everyone(Notices.notice(Notices.CANCELLED, origin).put("id", messageId));
  }

  @Override
  public void responseStored(String messageId, byte[] body) {
    local.responseStored(messageId, body);
    ObjectNode n = Notices.notice(Notices.RESPONSE, origin).put("id", messageId);
    if (body.length <= MAX_CARRIED_RESPONSE) {
      n.put("body", new String(Notices.base64(body), java.nio.charset.StandardCharsets.US_ASCII));
    }
    everyone(n);
  }

  @Override
  public void sessionOpened(String agentId, Transport transport, String nodeId, long openedAtMillis) {
    local.sessionOpened(agentId, transport, nodeId, openedAtMillis);
    everyone(Notices.notice(Notices.SESSION_OPENED, origin).put("agent", agentId).put("transport",
        transport.wireName()).put("node", nodeId).put("at", openedAtMillis));
  }

  @Override
  public void httpSessionIssued(String agentId, String sessionId) {
    local.httpSessionIssued(agentId, sessionId);
    everyone(Notices.notice(Notices.HTTP_SESSION, origin).put("agent", agentId).put("session", sessionId));
  }

  @Override
  public void agentRevoked(String agentId, Revocation why) {
    local.agentRevoked(agentId, why);
    everyone(Notices.notice(Notices.REVOKED, origin).put("agent", agentId).put("why", why.name()));
  }

  @Override
  public void labelsChanged(String agentId) {
    local.labelsChanged(agentId);
    everyone(Notices.notice(Notices.LABELS, origin).put("agent", agentId));
  }

  @Override
  public void policyChanged(String name, boolean newVersion) {
    local.policyChanged(name, newVersion);
    everyone(Notices.notice(Notices.POLICY, origin).put("name", name).put("new_version", newVersion));
  }

  @Override
  public void artifactPublished(String artifactId) {
    local.artifactPublished(artifactId);
    everyone(Notices.notice(Notices.ARTIFACT, origin).put("id", artifactId));
  }

  @Override
  public void drainRequested(String nodeId) {
    local.drainRequested(nodeId);
    if (!nodeId.equals(presence.nodeId())) {
      count("sent", Notices.DRAIN);
      link.publish(keys.inbox(nodeId), Notices.bytes(Notices.notice(Notices.DRAIN, origin).put("node", nodeId)));
    }
  }

  private void everyone(ObjectNode notice) {
    count("sent", notice.get("k").asText());
    link.publish(keys.everyone(), Notices.bytes(notice));
  }

  /** A notice from Redis (on the subscriber's event loop). */
  private void received(String channel, Buffer payload) {
    Notices.Notice n;
    try {
      n = Notices.decode(payload.getBytes());
    } catch (IOException e) {
      count("refused", "malformed");
      log.warn("ignoring a malformed cluster notice on {}: {}", channel, e.getMessage());
      return;
    }
    if (n.origin().equals(origin)) {
      return; // our own, already told to this node's listeners
    }
    try {
      apply(n);
      count("received", n.kind());
    } catch (IOException | RuntimeException e) {
      count("refused", "malformed");
      log.warn("ignoring a cluster notice '{}' from {}: {}", n.kind(), n.origin(), e.toString());
    }
  }

  private void apply(Notices.Notice n) throws IOException {
    switch (n.kind()) {
      case Notices.DUE -> {
        List<QueuedMessage> rows = Notices.messages(n);
        local.tell("messages committed", l -> l.onMessagesCommitted(rows));
      }
      case Notices.CANCELLED -> local.messageCancelled(n.text("id"));
      case Notices.RESPONSE -> {
        var body = n.fields().get("body");
        local.responseStored(n.text("id"), body == null ? null : Notices.unbase64(body.asText()));
      }
      case Notices.SESSION_OPENED -> local.sessionOpened(n.text("agent"), Transport.ofWireName(n.text("transport")),
          n.text("node"), n.fields().path("at").asLong());
      case Notices.HTTP_SESSION -> local.httpSessionIssued(n.text("agent"), n.text("session"));
      case Notices.REVOKED -> local.agentRevoked(n.text("agent"), Revocation.valueOf(n.text("why")));
      case Notices.LABELS -> local.labelsChanged(n.text("agent"));
      case Notices.POLICY -> local.policyChanged(n.text("name"), n.fields().path("new_version").asBoolean());
      case Notices.ARTIFACT -> local.artifactPublished(n.text("id"));
      case Notices.DRAIN -> local.drainRequested(n.text("node"));
      case Notices.BACKLOG -> {
        List<String> agents = new ArrayList<>();
        n.fields().path("agents").forEach(a -> agents.add(a.asText()));
        local.backlogWaiting(agents);
      }
      default -> throw new IOException("unknown notice kind '" + n.kind() + "'");
    }
  }

  private void count(String direction, String kind) {
    counters.computeIfAbsent(direction + '\0' + kind, k -> Counter.builder("aegis.cluster.notices")
        .description("Notices between nodes, by direction (sent, received, refused) and kind")
        .tag("direction", direction).tag("kind", kind).register(meters)).increment();
  }
}
