package io.aegis.server.cluster;

import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Presence across the cluster, in two Redis hashes per cluster ({@code presence:websocket} and
 * {@code presence:http_polling}): agent id → {@code "<node id> <incarnation> <opened at ms>"}.
 *
 * <ul>
 *   <li>An entry is written when a session opens and removed when it ends, by its node, and only
 *       if it is still that node's (a compare-and-delete script), so a session that moved to
 *       another node is never erased by the old one. Nothing is written while a session idles.
 *   <li>An entry counts only while its node is alive in that incarnation ({@link NodeDirectory}):
 *       the entries of a node that died vanish from every answer within {@code AEGIS_NODE_TTL},
 *       and are overwritten when their agents reconnect elsewhere.
 *   <li>This node answers for its own sessions from memory ({@link LocalPresence}), so the common
 *       case of an agent on the node that asks costs no round trip.
 *   <li>While Redis is unreachable, writes are skipped and lookups of other nodes' agents find
 *       nothing (the store sweep then carries delivery); when it is back, every local entry is
 *       written again ({@link #announceAll}).
 * </ul>
 *
 * <p>Thread-safe; nothing blocks.
 */
final class RedisPresence implements Presence {
  private static final Logger log = LoggerFactory.getLogger(RedisPresence.class);
  private static final int CHUNK = 500;
  /** Deletes field ARGV[1] of hash KEYS[1] if its value is still ARGV[2]. */
  private static final String RELEASE = "if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then "
      + "return redis.call('HDEL', KEYS[1], ARGV[1]) end return 0";

  private final LocalPresence local;
  private final RedisLink link;
  private final Keys keys;
  private final NodeDirectory nodes;
  private final String incarnation;
  /** The value written for each local session, so that release deletes exactly it. */
  private final Map<String, String> written = new java.util.concurrent.ConcurrentHashMap<>();

  RedisPresence(LocalPresence local, RedisLink link, Keys keys, NodeDirectory nodes, String incarnation) {
    this.local = local;
    this.link = link;
    this.keys = keys;
    this.nodes = nodes;
    this.incarnation = incarnation;
  }

  @Override
  public String nodeId() {
    return local.nodeId();
  }

  LocalPresence local() {
    return local;
  }

  @Override
  public CompletableFuture<Void> held(String agentId, Transport transport) {
    local.held(agentId, transport);
    String value = nodeId() + " " + incarnation + " " + System.currentTimeMillis();
    written.put(slot(agentId, transport), value);
    if (!link.isUp()) {
      return CompletableFuture.completedFuture(null); // announced again when Redis is back
    }
    CompletableFuture<Void> shown = new CompletableFuture<>();
    link.send(Request.cmd(Command.HSET).arg(keys.presence(transport)).arg(agentId).arg(value))
        .onComplete(ar -> shown.complete(null));
    return shown;
  }

  @Override
  public void released(String agentId, Transport transport) {
    local.released(agentId, transport);
    String value = written.remove(slot(agentId, transport));
    if (value != null && link.isUp()) {
      link.send(Request.cmd(Command.EVAL).arg(RELEASE).arg(1).arg(keys.presence(transport)).arg(agentId).arg(value));
    }
  }

  @Override
  public boolean authoritative() {
    return link.isUp();
  }

  @Override
  public CompletableFuture<Optional<Location>> locate(String agentId) {
    Optional<Location> here = local.here(agentId);
    if (here.isPresent() || !link.isUp()) {
      return CompletableFuture.completedFuture(here);
    }
    return locateAll(List.of(agentId)).thenApply(m -> Optional.ofNullable(m.get(agentId)));
  }

  @Override
  public CompletableFuture<Map<String, Location>> locateAll(Collection<String> agentIds) {
    Map<String, Location> found = new HashMap<>(local.hereAll(agentIds));
    List<String> elsewhere = new ArrayList<>();
    for (String agentId : agentIds) {
      if (!found.containsKey(agentId)) {
        elsewhere.add(agentId);
      }
    }
    if (elsewhere.isEmpty() || !link.isUp()) {
      return CompletableFuture.completedFuture(found);
    }
    List<CompletableFuture<Void>> chunks = new ArrayList<>();
    for (int i = 0; i < elsewhere.size(); i += CHUNK) {
      List<String> chunk = elsewhere.subList(i, Math.min(elsewhere.size(), i + CHUNK));
      Request ws = Request.cmd(Command.HMGET).arg(keys.presence(Transport.WEBSOCKET));
      Request http = Request.cmd(Command.HMGET).arg(keys.presence(Transport.HTTP_POLLING));
      chunk.forEach(id -> {
        ws.arg(id);
        http.arg(id);
      });
      chunks.add(link.batch(List.of(ws, http)).map(rs -> {
        synchronized (found) {
          for (int j = 0; j < chunk.size(); j++) {
            // A WebSocket session is the one to name when an agent also polls.
            Location l = live(rs.get(0).get(j), Transport.WEBSOCKET);
            if (l == null) {
              l = live(rs.get(1).get(j), Transport.HTTP_POLLING);
            }
            if (l != null) {
              found.put(chunk.get(j), l);
            }
          }
        }
        return (Void) null;
      }).otherwise(e -> {
        log.debug("presence lookup failed: {}", e.getMessage());
        return null;
      }).toCompletionStage().toCompletableFuture());
    }
    return CompletableFuture.allOf(chunks.toArray(CompletableFuture[]::new)).thenApply(v -> found);
  }

  @Override
  public CompletableFuture<java.util.Set<String>> holdingAnywhere(Transport transport) {
    java.util.Set<String> out = new java.util.HashSet<>(local.holding(transport));
    if (!link.isUp()) {
      return CompletableFuture.completedFuture(out);
    }
    return link.send(Request.cmd(Command.HGETALL).arg(keys.presence(transport))).map(all -> {
      // [agent, entry, agent, entry, ...] (RESP2, see RedisLink)
      for (int i = 0; i + 1 < all.size(); i += 2) {
        if (live(all.get(i + 1), transport) != null) {
          out.add(all.get(i).toString());
        }
      }
      return out;
    }).otherwise(e -> out).toCompletionStage().toCompletableFuture();
  }

  /** The location an entry names, if its node is alive in the incarnation that wrote it. */
  private Location live(Response entry, Transport transport) {
    if (entry == null) {
      return null;
    }
    String[] parts = entry.toString().split(" ");
    if (parts.length < 2 || !nodes.alive(parts[0], parts[1])) {
      return null;
    }
    return new Location(parts[0], transport);
  }

  /**
   * Writes every session this node holds (Redis came back, or lost its data): what other nodes
   * look up is true again without waiting for agents to reconnect.
   */
  void announceAll() {
    Map<Transport, List<String>> byTransport = new HashMap<>();
    local.forEach((agentId, t) -> {
      String value = written.get(slot(agentId, t));
      if (value != null) {
        List<String> args = byTransport.computeIfAbsent(t, k -> new ArrayList<>());
        args.add(agentId);
        args.add(value);
      }
    });
    byTransport.forEach((t, args) -> {
      for (int i = 0; i < args.size(); i += 2 * CHUNK) {
        Request hset = Request.cmd(Command.HSET).arg(keys.presence(t));
        args.subList(i, Math.min(args.size(), i + 2 * CHUNK)).forEach(hset::arg);
        link.send(hset).onFailure(e -> log.warn("cannot announce this node's sessions to Redis: {}", e.getMessage()));
      }
    });
  }

  private static String slot(String agentId, Transport t) {
    return t.ordinal() + agentId;
  }
}
