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
 * {@code presence:http_polling}): agent id → {@code "<node id> <incarnation> <opened at ms> <epoch>"}.
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
 *   <li>Every claim takes the agent's next <em>epoch</em> (a counter per agent and transport in
 *       {@code presence-epoch:<transport>}, incremented by the claiming script), so that claims are
 *       ordered by Redis, not by any node's clock.
 *   <li>While Redis is unreachable, writes are skipped and lookups of other nodes' agents find
 *       nothing (the store sweep then carries delivery); when it is back, or when this node wakes
 *       from a pause, every local entry is claimed again — unless a later claim (a higher epoch)
 *       was made meanwhile: then another node took the agent over while this one was away, and
 *       its session here is stale ({@link #reclaimAll}).
 * </ul>
 *
 * <p>Thread-safe; nothing blocks.
 */
final class RedisPresence implements Presence {
  private static final Logger log = LoggerFactory.getLogger(RedisPresence.class);
  private static final int CHUNK = 500;
  /**
   * Deletes field ARGV[1] of hash KEYS[1] if its value is still ARGV[2] (or ARGV[2] and the epoch
   * Redis added to it, in case the session ends before the claim's answer came back).
   */
  private static final String RELEASE = "local v = redis.call('HGET', KEYS[1], ARGV[1]) "
      + "if v and (v == ARGV[2] or string.sub(v, 1, #ARGV[2] + 1) == ARGV[2] .. ' ') then "
      + "return redis.call('HDEL', KEYS[1], ARGV[1]) end return 0";
  /** Claims ARGV[1] in hash KEYS[1] with value ARGV[2] and the agent's next epoch (in KEYS[2]); returns the epoch. */
  private static final String CLAIM = "local e = redis.call('HINCRBY', KEYS[2], ARGV[1], 1) "
      + "redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. ' ' .. e) return e";
  /**
   * Writes ARGV[2] (which carries epoch ARGV[3]) again unless a later claim exists: returns "" if
   * written, else the entry that holds the agent now ("-" if none).
   */
  private static final String RECLAIM = "local last = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0') "
      + "if last > tonumber(ARGV[3]) then return redis.call('HGET', KEYS[1], ARGV[1]) or '-' end "
      + "redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) return ''";

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
    String slot = slot(agentId, transport);
    String claim = nodeId() + " " + incarnation + " " + System.currentTimeMillis();
    written.put(slot, claim); // epoch unknown yet: claimed afresh when Redis is back
    if (!link.isUp()) {
      return CompletableFuture.completedFuture(null);
    }
    CompletableFuture<Void> shown = new CompletableFuture<>();
    link.send(Request.cmd(Command.EVAL).arg(CLAIM).arg(2).arg(keys.presence(transport))
            .arg(keys.presenceEpochs(transport)).arg(agentId).arg(claim))
        .onSuccess(epoch -> written.replace(slot, claim, claim + " " + epoch.toLong()))
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

  /** A session of this node that another node claimed later: {@code holder} is that node ("" if unknown). */
  record Stale(String agentId, Transport transport, String holder) {}

  /**
   * Claims every session this node holds again (Redis came back, lost its data, or this node woke
   * from a pause), so that what other nodes look up is true without waiting for agents to
   * reconnect — except the sessions that another node claimed after this one: completes with
   * those, which are stale and must close. A session claimed while Redis was unreachable (no epoch)
   * is claimed afresh. Never fails: a session whose check failed is left as it is.
   */
  CompletableFuture<List<Stale>> reclaimAll() {
    List<Stale> stale = java.util.Collections.synchronizedList(new ArrayList<>());
    List<CompletableFuture<Void>> checks = new ArrayList<>();
    List<Claim> chunk = new ArrayList<>();
    local.forEach((agentId, t) -> {
      String value = written.get(slot(agentId, t));
      if (value == null) {
        return;
      }
      chunk.add(new Claim(agentId, t, value));
      if (chunk.size() == CHUNK) {
        checks.add(reclaim(List.copyOf(chunk), stale));
        chunk.clear();
      }
    });
    if (!chunk.isEmpty()) {
      checks.add(reclaim(List.copyOf(chunk), stale));
    }
    return CompletableFuture.allOf(checks.toArray(CompletableFuture[]::new)).thenApply(v -> List.copyOf(stale));
  }

  /** A session's entry as this node wrote it ({@code value} ends with its epoch once Redis gave one). */
  private record Claim(String agentId, Transport transport, String value) {
    String epoch() {
      String[] parts = value.split(" ");
      return parts.length >= 4 ? parts[3] : null;
    }

    Request request(Keys keys) {
      String epoch = epoch();
      Request r = Request.cmd(Command.EVAL).arg(epoch == null ? CLAIM : RECLAIM).arg(2)
          .arg(keys.presence(transport)).arg(keys.presenceEpochs(transport)).arg(agentId).arg(value);
      return epoch == null ? r : r.arg(epoch);
    }
  }

  /** Sends one chunk of claims; records the sessions found stale. */
  private CompletableFuture<Void> reclaim(List<Claim> claims, List<Stale> stale) {
    return link.batch(claims.stream().map(c -> c.request(keys)).toList()).map(answers -> {
      for (int i = 0; i < claims.size(); i++) {
        Claim c = claims.get(i);
        Response answer = answers.get(i);
        String slot = slot(c.agentId(), c.transport());
        if (c.epoch() == null) {
          written.replace(slot, c.value(), c.value() + " " + answer.toLong());
        } else if (!answer.toString().isEmpty()) {
          String holder = answer.toString().split(" ")[0];
          written.remove(slot, c.value());
          stale.add(new Stale(c.agentId(), c.transport(), "-".equals(holder) ? "" : holder));
        }
      }
      return (Void) null;
    }).otherwise(e -> {
      log.warn("cannot claim this node's sessions in Redis again: {}", e.getMessage());
      return null;
    }).toCompletionStage().toCompletableFuture();
  }

  private static String slot(String agentId, Transport t) {
    return t.ordinal() + agentId;
  }
}
