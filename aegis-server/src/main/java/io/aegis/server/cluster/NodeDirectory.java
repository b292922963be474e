package io.aegis.server.cluster;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The nodes of the cluster, as Redis knows them. Each node keeps a hash
 * {@code aegis:<cluster>:node:<node id>} (its incarnation, state, sessions, start and last beat)
 * that it writes every third of {@code AEGIS_NODE_TTL} and that Redis forgets
 * {@code AEGIS_NODE_TTL} after the last write; and its id in the sorted set
 * {@code aegis:<cluster>:nodes}, scored by its last beat, so that nodes that died stay listed for
 * a while. A node is alive while its hash exists with the incarnation its presence entries name:
 * a node killed with {@code kill -9} is known dead after {@code AEGIS_NODE_TTL}, and a node that
 * restarts under the same id is a new incarnation, so what its previous life held is not taken
 * for its own.
 *
 * <p>Every node reads the live set once a second, so asking whether a node is alive costs
 * nothing. Thread-safe.
 */
final class NodeDirectory implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NodeDirectory.class);
  /** Nodes that have not beaten for this long drop out of the listing. */
  private static final Duration FORGET_AFTER = Duration.ofHours(24);

  /** What a node says of itself in each beat. */
  record Facts(String state, int sessions, int polling, String address) {}

  /** One node as {@code GET /api/v1/nodes} shows it. */
  record NodeInfo(String nodeId, String state, int sessions, int polling, Instant startedAt, Instant lastHeartbeat,
                  String address) {}

  private final Vertx vertx;
  private final RedisLink link;
  private final Keys keys;
  private final String nodeId;
  private final String incarnation;
  private final Duration ttl;
  private final Supplier<Facts> facts;
  private final Instant startedAt = Instant.now();
  private volatile Map<String, String> alive = Map.of();
  private long beatTimer = -1;
  private long readTimer = -1;

  NodeDirectory(Vertx vertx, RedisLink link, Keys keys, String nodeId, String incarnation, Duration ttl,
                Supplier<Facts> facts) {
    this.vertx = vertx;
    this.link = link;
    this.keys = keys;
    this.nodeId = nodeId;
    this.incarnation = incarnation;
    this.ttl = ttl;
    this.facts = facts;
  }

  /** Starts beating and reading; the first beat is sent at once. */
  void start() {
    alive = Map.of(nodeId, incarnation);
    beat();
    beatTimer = vertx.setPeriodic(Math.max(100, ttl.toMillis() / 3), id -> beat());
    readTimer = vertx.setPeriodic(1000, id -> readAlive());
  }

  /** Writes this node's hash and renews its expiry; a failure is logged (Redis may be down). */
  Future<Void> beat() {
    Facts f = facts.get();
    long now = System.currentTimeMillis();
    String key = keys.node(nodeId);
    return link.batch(List.of(
        Request.cmd(Command.HSET).arg(key)
            .arg("incarnation").arg(incarnation)
            .arg("state").arg(f.state())
            .arg("sessions").arg(f.sessions())
            .arg("polling").arg(f.polling())
            .arg("started").arg(startedAt.toEpochMilli())
            .arg("beat").arg(now)
            .arg("address").arg(f.address()),
        Request.cmd(Command.PEXPIRE).arg(key).arg(ttl.toMillis()),
        Request.cmd(Command.ZADD).arg(keys.nodes()).arg(now).arg(nodeId)))
        .<Void>mapEmpty()
        .onFailure(e -> log.debug("node heartbeat to Redis failed: {}", e.getMessage()));
  }

  /** Refreshes the set of live nodes (id → incarnation). */
  private void readAlive() {
    if (!link.isUp()) {
      return;
    }
    link.send(Request.cmd(Command.ZRANGE).arg(keys.nodes()).arg(0).arg(-1)).compose(ids -> {
      List<String> nodeIds = new ArrayList<>();
      ids.forEach(r -> nodeIds.add(r.toString()));
      List<Request> reads = new ArrayList<>();
      nodeIds.forEach(id -> reads.add(Request.cmd(Command.HGET).arg(keys.node(id)).arg("incarnation")));
      return reads.isEmpty() ? Future.succeededFuture(Map.<String, String>of()) : link.batch(reads).map(rs -> {
        Map<String, String> live = new HashMap<>();
        for (int i = 0; i < nodeIds.size(); i++) {
          Response r = rs.get(i);
          if (r != null) {
            live.put(nodeIds.get(i), r.toString());
          }
        }
        return live;
      });
    }).onSuccess(live -> {
      Map<String, String> withSelf = new HashMap<>(live);
      withSelf.put(nodeId, incarnation); // this node is alive while it runs, whatever Redis says
      alive = Map.copyOf(withSelf);
    });
  }

  /** Whether node {@code id} is alive in incarnation {@code inc} (as of the last read, at most a second old). */
  boolean alive(String id, String inc) {
    return inc.equals(alive.get(id));
  }

  /** How many nodes are alive (as of the last read). */
  int aliveCount() {
    return alive.size();
  }

  /** Every node seen in the last day: alive ones with their state, dead ones as {@code down}. */
  CompletableFuture<List<NodeInfo>> list() {
    long since = System.currentTimeMillis() - FORGET_AFTER.toMillis();
    return link.send(Request.cmd(Command.ZRANGEBYSCORE).arg(keys.nodes()).arg(since).arg("+inf").arg("WITHSCORES"))
        .compose(r -> {
          List<String> ids = new ArrayList<>();
          List<Long> beats = new ArrayList<>();
          // [member, score, member, score, ...] (RESP2, see RedisLink)
          for (int i = 0; i + 1 < r.size(); i += 2) {
            ids.add(r.get(i).toString());
            beats.add(Math.round(Double.parseDouble(r.get(i + 1).toString())));
          }
          List<Request> reads = new ArrayList<>();
          ids.forEach(id -> reads.add(Request.cmd(Command.HGETALL).arg(keys.node(id))));
          Future<List<Response>> all = reads.isEmpty() ? Future.succeededFuture(List.of()) : link.batch(reads);
          return all.map(hashes -> {
            List<NodeInfo> out = new ArrayList<>();
            for (int i = 0; i < ids.size(); i++) {
              Map<String, String> h = fields(hashes.get(i));
              boolean up = !h.isEmpty();
              out.add(new NodeInfo(ids.get(i), up ? h.getOrDefault("state", "up") : "down",
                  up ? Integer.parseInt(h.getOrDefault("sessions", "0")) : 0,
                  up ? Integer.parseInt(h.getOrDefault("polling", "0")) : 0,
                  up && h.containsKey("started") ? Instant.ofEpochMilli(Long.parseLong(h.get("started"))) : null,
                  Instant.ofEpochMilli(beats.get(i)), h.get("address")));
            }
            return out;
          });
        }).toCompletionStage().toCompletableFuture();
  }

  private static Map<String, String> fields(Response hash) {
    Map<String, String> out = new HashMap<>();
    if (hash == null) {
      return out;
    }
    // [field, value, field, value, ...] (RESP2, see RedisLink)
    for (int i = 0; i + 1 < hash.size(); i += 2) {
      out.put(hash.get(i).toString(), hash.get(i + 1).toString());
    }
    return out;
  }

  /** Leaves the cluster cleanly: the node's hash goes now, not after its TTL. */
  @Override
  public void close() {
    vertx.cancelTimer(beatTimer);
    vertx.cancelTimer(readTimer);
    link.send(Request.cmd(Command.DEL).arg(keys.node(nodeId)));
  }
}
