package io.aegis.server.cluster;

import io.aegis.protocol.crypto.Hex;
import io.aegis.server.artifact.ArtifactStore;
import io.aegis.server.auth.AgentAuthentication;
import io.aegis.server.config.Config;
import io.aegis.server.delivery.DeliveryEngine;
import io.aegis.server.policy.PolicyStore;
import io.aegis.server.registry.AgentRegistry;
import io.aegis.server.store.Database;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What this node shares with the others: the {@link NodeEvents} they tell each other, the
 * {@link Presence} of every agent's session, and the list of nodes. {@link #local} is a node
 * alone (the embedded store, or PostgreSQL without {@code REDIS_URL}); {@link #redis} joins the
 * cluster of the nodes that share this node's database, through Redis.
 *
 * <p>{@code AegisServer} builds one per node, hands {@link #events()} and {@link #presence()} to
 * the components that publish or listen, and connects the stores and the delivery engine with
 * {@link #relay}. Thread-safe.
 */
public final class Cluster implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Cluster.class);

  /** The state a node announces: serving, or draining before it stops. */
  public enum NodeState { UP, DRAINING }

  /** One node of the cluster, as {@code GET /api/v1/nodes} lists it. */
  public record Node(String nodeId, String state, int sessions, int polling, Instant startedAt,
                     Instant lastHeartbeat, String address) {}

  private final String nodeId;
  private final NodeEvents events;
  private final Presence presence;
  private final LocalPresence localPresence;
  private final RedisLink link;
  private final NodeDirectory directory;
  private final Fence fence; // null alone
  private final Config config;
  private final Database database;
  private final Instant startedAt = Instant.now();
  private volatile NodeState state = NodeState.UP;

  private Cluster(Config config, Database database, NodeEvents events, Presence presence, LocalPresence localPresence,
                  RedisLink link, NodeDirectory directory, Fence fence) {
    this.fence = fence;
    this.config = config;
    this.database = database;
    this.nodeId = config.nodeId();
    this.events = events;
    this.presence = presence;
    this.localPresence = localPresence;
    this.link = link;
    this.directory = directory;
  }

  /** A node alone: its events reach its own listeners, and it knows only its own sessions. */
  public static Cluster local(Config config, Database database) {
    LocalPresence presence = new LocalPresence(config.nodeId());
    return new Cluster(config, database, new LocalNodeEvents(presence), presence, presence, null, null, null);
  }

  /**
   * Joins the cluster of the nodes sharing {@code database}, through the Redis at
   * {@code REDIS_URL}. Does not wait for Redis: a node that cannot reach it starts degraded and
   * joins when it can.
   *
   * @param address what other operators see as this node's address (host:port)
   */
  public static Cluster redis(Config config, Vertx vertx, Database database, MeterRegistry meters,
                              Supplier<String> address) {
    String clusterId = ClusterIdentity.of(database);
    Keys keys = Keys.of(clusterId);
    byte[] random = new byte[6];
    new SecureRandom().nextBytes(random);
    String incarnation = Hex.encode(random);
    LocalPresence local = new LocalPresence(config.nodeId());
    RedisLink link = new RedisLink(vertx, config.redisUrl().orElseThrow(), config.redisTimeout(), meters);
    Cluster[] self = new Cluster[1];
    NodeDirectory directory = new NodeDirectory(vertx, link, keys, config.nodeId(), incarnation, config.nodeTtl(),
        () -> new NodeDirectory.Facts(self[0].state.name().toLowerCase(java.util.Locale.ROOT),
            local.count(Transport.WEBSOCKET), local.count(Transport.HTTP_POLLING), address.get()));
    RedisPresence presence = new RedisPresence(local, link, keys, directory, incarnation);
    LocalNodeEvents localEvents = new LocalNodeEvents(local);
    RedisNodeEvents events = new RedisNodeEvents(localEvents, presence, link, keys,
        config.nodeId() + "/" + incarnation, meters);
    Fence fence = new Fence(vertx, presence, localEvents, link, meters);
    Cluster cluster = new Cluster(config, database, events, presence, local, link, directory, fence);
    self[0] = cluster;
    link.onUp(() -> {
      directory.beat();
      fence.check();
    });
    events.start(config.nodeId());
    directory.start();
    Gauge.builder("aegis.cluster.nodes", directory, NodeDirectory::aliveCount)
        .description("Nodes alive in the cluster, as this node last read them").register(meters);
    log.info("node {} joins cluster {} through Redis (incarnation {})", config.nodeId(), clusterId, incarnation);
    return cluster;
  }

  public NodeEvents events() {
    return events;
  }

  public Presence presence() {
    return presence;
  }

  /** Whether this node is part of a cluster (Redis), rather than alone. */
  public boolean clustered() {
    return link != null;
  }

  /**
   * How this node hears the others, for {@code /readyz}: {@code "single"} (alone), {@code "ok"},
   * or {@code "degraded"} (Redis unreachable: serving from the store, cross-node delivery at the
   * sweep's pace).
   */
  public String health() {
    return link == null ? "single" : link.isUp() ? "ok" : "degraded";
  }

  /** This node now drains: its state is announced with its next beat. */
  public void draining() {
    state = NodeState.DRAINING;
    if (directory != null) {
      directory.beat();
    }
  }

  /** Every node of the cluster (just this one when alone). */
  public CompletableFuture<List<Node>> nodes() {
    if (directory == null || !link.isUp()) {
      return CompletableFuture.completedFuture(List.of(self()));
    }
    return directory.list().thenApply(list -> list.stream().map(n -> new Node(n.nodeId(), n.state(), n.sessions(),
        n.polling(), n.startedAt(), n.lastHeartbeat(), n.address())).toList());
  }

  /** This node, as it would list itself. */
  private Node self() {
    return new Node(nodeId, state.name().toLowerCase(java.util.Locale.ROOT), localPresence.count(Transport.WEBSOCKET),
        localPresence.count(Transport.HTTP_POLLING), startedAt, Instant.now(), null);
  }

  /**
   * Makes the stores' committed changes and the delivery engine's news events of the cluster,
   * and the cluster's events news for the engine and the registry's cache; in a cluster, spreads
   * the sweep of the queue's partitions over the live nodes ({@link PartitionLeases}).
   */
  public void relay(DeliveryEngine delivery, AgentRegistry registry, PolicyStore policies, ArtifactStore artifacts,
                    AgentAuthentication authentication) {
    DeliveryBridge bridge = new DeliveryBridge(delivery, events);
    delivery.relay(bridge);
    events.listen(bridge);
    if (fence != null) {
      fence.hold(new Fence.Hold() {
        @Override
        public void hold() {
          delivery.hold();
        }

        @Override
        public void release() {
          delivery.release();
        }
      });
    }
    ChangeRelay.install(events, registry, policies, artifacts, authentication);
    if (database.dialect() == io.aegis.server.store.Dialect.POSTGRESQL) {
      List<String> partitions = PartitionLeases.of(database, config.messageQueueTable());
      if (partitions.size() != Math.max(1, config.queuePartitions()) && !(partitions.size() == 1
          && config.queuePartitions() == 1)) {
        log.info("the message queue has {} partitions (AEGIS_QUEUE_PARTITIONS={} applies only when the queue is "
            + "first partitioned)", partitions.size(), config.queuePartitions());
      }
      if (link != null) {
        delivery.sweepScope(new PartitionLeases(database, partitions, nodeId, config.deliverySweepInterval(),
            directory::aliveCount, link::isUp));
      }
    }
  }

  /** Leaves the cluster: this node's entry goes now (its sessions released themselves as they closed). */
  @Override
  public void close() {
    if (fence != null) {
      fence.close();
    }
    if (directory != null) {
      directory.close();
    }
    if (link != null) {
      link.close();
    }
  }
}
