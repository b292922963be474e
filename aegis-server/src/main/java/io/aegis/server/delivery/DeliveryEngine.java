package io.aegis.server.delivery;

import com.fasterxml.jackson.databind.JsonNode;
import io.aegis.protocol.SecureMessage;
import io.aegis.server.api.ApiJson;
import io.aegis.server.config.Config;
import io.aegis.server.store.BatchedWrite;
import io.aegis.server.store.WriteBatcher;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reliable delivery: at-least-once, per-agent FIFO within a priority, acknowledged by the agent,
 * redelivered with backoff up to {@code MESSAGE_RETRY_ATTEMPTS}, never after {@code expires_at}.
 *
 * <p>The durable queue is the source of truth and nothing assumes that the node which accepted a
 * send is the node that delivers it: each node delivers only through the links it holds (one
 * {@link AgentDispatcher} per {@link AgentLink}), learns of new messages from the
 * {@link DeliveryRelay} (which hears of commits on every node: {@link #offer}) and from a
 * periodic sweep of the store, and records every transition there. Store writes go through the
 * group-commit writer.
 *
 * <p>Thread-safe. Session callbacks arrive on each session's event loop.
 */
public final class DeliveryEngine implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DeliveryEngine.class);

  /** Asked, when an agent acknowledges a message, what else its delivery settles. */
  public interface Listener {
    /**
     * The write that records what the delivery of {@code message} settles (a pushed policy or
     * artifact the agent now has), or null. It is written lazily beside the ack's own write, so
     * that the two nearly always share one commit.
     */
    BatchedWrite onDelivered(QueuedMessage message);
  }

  private final Vertx vertx;
  private final Config config;
  private final MessageQueue queue;
  private final WriteBatcher batcher;
  private final WorkerExecutor worker;
  private final DeliveryMetrics metrics;
  private final Redelivery redelivery;
  private final StatusWrites statusWrites;
  private final Map<String, AgentDispatcher> dispatchers = new ConcurrentHashMap<>();
  private final Map<String, CompletableFuture<JsonNode>> responseWaiters = new ConcurrentHashMap<>();
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();
  private volatile DeliveryRelay relay = DeliveryRelay.local(this);
  private volatile SweepScope scope;
  private volatile boolean held;
  private final long sweepTimer;

  public DeliveryEngine(Vertx vertx, Config config, MessageQueue queue, WriteBatcher batcher, WorkerExecutor worker,
                        MeterRegistry meters) {
    this.vertx = vertx;
    this.config = config;
    this.queue = queue;
    this.batcher = batcher;
    this.worker = worker;
    this.metrics = new DeliveryMetrics(meters, config.metricsChannels());
    this.redelivery = new Redelivery(config.ackTimeout());
    this.statusWrites = new StatusWrites(vertx, config.statusBacklog(), meters);
    this.scope = SweepScope.whole(queue.table());
    this.sweepTimer = vertx.setPeriodic(config.deliverySweepInterval().toMillis(), id -> sweep());
  }

  public void addListener(Listener listener) {
    listeners.add(listener);
  }

  /**
   * Sets where news of committed, cancelled and answered messages goes (the cluster); until then
   * this engine acts on it alone ({@link DeliveryRelay#local}).
   */
  public void relay(DeliveryRelay relay) {
    this.relay = relay;
  }

  public MessageQueue queue() {
    return queue;
  }

  // ------------------------------------------------------------------ sessions (event loop)

  /** A link to an agent opened (on its thread): deliver the agent's messages through it. */
  public void opened(AgentLink link) {
    AgentDispatcher d = new AgentDispatcher(this, link);
    AgentDispatcher previous = dispatchers.put(link.agentId(), d);
    if (previous != null) {
      previous.link().execute(previous::stop);
    }
    d.start();
  }

  /** The link closed (on its thread): what it had in flight stays in the store for the next one. */
  public void closed(AgentLink link) {
    AgentDispatcher d = dispatchers.get(link.agentId());
    if (d != null && d.link() == link) {
      dispatchers.remove(link.agentId(), d);
      d.stop();
    }
  }

  /** The link's write queue drained (on its thread): it takes messages again. */
  public void writable(AgentLink link) {
    AgentDispatcher d = dispatchers.get(link.agentId());
    if (d != null && d.link() == link) {
      d.pump();
    }
  }

  /**
   * The agent acknowledged messages through {@code link} (on its thread); {@code rejected} maps
   * the ids it refused to its reasons.
   */
  public void acknowledged(AgentLink link, List<String> ids, Map<String, String> rejected) {
    AgentDispatcher d = dispatchers.get(link.agentId());
    for (String id : ids) {
      if (d != null && d.link() == link) {
        d.acknowledged(id, rejected.get(id));
      } else {
        acknowledgedUnknown(link.agentId(), id, rejected.get(id));
      }
    }
  }

  /**
   * The agent answered request {@code messageId} through {@code link}: the answer also
   * acknowledges it. Completes once the answer is stored (and a send waiting for it has been told).
   */
  public CompletableFuture<Void> responded(AgentLink link, String messageId, byte[] body) {
    AgentDispatcher d = dispatchers.get(link.agentId());
    if (d != null && d.link() == link) {
      d.acknowledged(messageId, null);
    }
    return storeResponse(link.agentId(), messageId, body);
  }

  // ------------------------------------------------------------------ senders (any thread)

  /**
   * Messages were committed to the queue: tells the nodes that deliver them (this one included).
   * Completes with the agents whose session some node holds; never fails.
   */
  public CompletableFuture<java.util.Set<String>> committed(List<QueuedMessage> messages) {
    return relay.committed(messages);
  }

  /** Hands committed messages to the links on this node that can deliver them now. */
  public void offer(List<QueuedMessage> committed) {
    for (QueuedMessage m : committed) {
      AgentDispatcher d = dispatchers.get(m.agentId());
      if (d != null) {
        d.link().execute(() -> d.offer(m));
      }
    }
  }

  /**
   * Acknowledgements that did not come through a session on this node (the HTTP polling
   * transport). Completes once the store recorded them; if a session of the agent on this node
   * holds them in flight, its dispatcher records them instead and this completes at once.
   */
  public CompletableFuture<Integer> acknowledged(String agentId, List<String> ids, Map<String, String> rejected) {
    AgentDispatcher d = dispatchers.get(agentId);
    if (d != null) {
      d.link().execute(() -> ids.forEach(id -> d.acknowledged(id, rejected.get(id))));
      return CompletableFuture.completedFuture(ids.size());
    }
    List<CompletableFuture<Integer>> each = ids.stream()
        .map(id -> acknowledgedUnknown(agentId, id, rejected.get(id))).toList();
    // How many the store actually recorded: an id of another agent's message, or of one already
    // final, counts for nothing.
    return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new))
        .thenApply(v -> each.stream().mapToInt(CompletableFuture::join).sum());
  }

  /**
   * Records a transmission made by another transport (HTTP polling): status sent, attempts (already
   * counted in {@code m}), the record as sealed. Completes once the store recorded it.
   */
  public CompletableFuture<Void> transmittedElsewhere(QueuedMessage m, SecureMessage sealed) {
    return transmitted(m, sealed);
  }

  /** Ends a message whose retries another transport used up. */
  public void failedElsewhere(QueuedMessage m, String reason) {
    failed(m, reason);
  }

  /** Records a response that came through another transport and wakes a waiting send. */
  public CompletableFuture<Void> respondedElsewhere(String agentId, String messageId, byte[] body) {
    return storeResponse(agentId, messageId, body);
  }

  private CompletableFuture<Void> storeResponse(String agentId, String messageId, byte[] body) {
    String response = new String(body, StandardCharsets.UTF_8);
    Instant at = Instant.now();
    return statusWrites.write("response to " + messageId,
        () -> batcher.submit(c -> queue.markDelivered(c, agentId, messageId, response, at))).whenComplete((ok, err) -> {
      if (err != null) {
        log.error("agent_id={} message_id={} cannot store the response: {}", agentId, messageId, err.getMessage());
        return;
      }
      relay.responseStored(messageId, body);
    }).thenApply(ok -> null);
  }

  /**
   * The response to request {@code messageId} is stored: a send waiting for it on this node
   * answers. A null {@code body} (not carried between nodes) is read from the store.
   */
  public void answer(String messageId, byte[] body) {
    CompletableFuture<JsonNode> waiter = responseWaiters.remove(messageId);
    if (waiter == null) {
      return;
    }
    if (body != null) {
      waiter.complete(ApiJson.tree(body));
      return;
    }
    worker.executeBlocking(() -> queue.view(messageId), false)
        .onSuccess(v -> v.filter(m -> m.response() != null).ifPresent(m -> waiter.complete(m.response())))
        .onFailure(e -> log.warn("message_id={} cannot read the response: {}", messageId, e.getMessage()));
  }

  /**
   * Holds delivery on this node: no link transmits until {@link #release}. The cluster holds it
   * while it checks, after a pause or a partition, which sessions are still this node's.
   */
  public void hold() {
    held = true;
  }

  /** Lets delivery go on after {@link #hold}: every link takes messages again. */
  public void release() {
    held = false;
    for (AgentDispatcher d : dispatchers.values()) {
      d.link().execute(d::pump);
    }
  }

  boolean held() {
    return held;
  }

  /** Sets which parts of the queue this node sweeps (a share of the partitions, in a cluster). */
  public void sweepScope(SweepScope scope) {
    this.scope = scope;
  }

  /** These agents have pending messages nobody offered: the links on this node that hold them read their backlogs. */
  public void readBacklogs(List<String> agentIds) {
    for (String agentId : agentIds) {
      AgentDispatcher d = dispatchers.get(agentId);
      if (d != null) {
        d.link().execute(d::load);
      }
    }
  }

  /** Whether a session of the agent on this node delivers its messages. */
  public boolean deliversLocally(String agentId) {
    AgentDispatcher d = dispatchers.get(agentId);
    return d != null && d.link().isOpen();
  }

  /**
   * A future for the agent's response to request {@code messageId}, completed empty after
   * {@code wait}. Register before offering the message. A response stored on another node comes
   * with the cluster's notice ({@link #answer}); one whose notice was lost (Redis down) is found by
   * looking at the store every {@code AEGIS_DELIVERY_SWEEP_INTERVAL}.
   */
  public CompletableFuture<Optional<JsonNode>> awaitResponse(String agentId, String messageId, Duration wait) {
    CompletableFuture<JsonNode> waiter = new CompletableFuture<>();
    responseWaiters.put(messageId, waiter);
    long deadline = System.nanoTime() + wait.toNanos();
    long poll = vertx.setPeriodic(config.deliverySweepInterval().toMillis(),
        id -> worker.executeBlocking(() -> queue.view(agentId, messageId), false)
        .onSuccess(v -> v.filter(m -> m.response() != null).ifPresent(m -> waiter.complete(m.response()))));
    long timeout = vertx.setTimer(Math.max(1, wait.toMillis()), id -> waiter.complete(null));
    return waiter.whenComplete((v, e) -> {
      vertx.cancelTimer(poll);
      vertx.cancelTimer(timeout);
      responseWaiters.remove(messageId, waiter);
    }).thenApply(Optional::ofNullable);
  }

  // ------------------------------------------------------------------ dispatcher callbacks

  int window() {
    return config.deliveryWindow();
  }

  /** The redelivery rules every transport follows. */
  public Redelivery redelivery() {
    return redelivery;
  }

  Vertx vertx() {
    return vertx;
  }

  void loadBacklog(String agentId, int limit, Consumer<List<QueuedMessage>> then) {
    worker.executeBlocking(() -> queue.backlog(agentId, limit), false)
        .onSuccess(then::accept)
        .onFailure(e -> log.warn("agent_id={} cannot read the backlog: {}", agentId, e.getMessage()));
  }

  CompletableFuture<Void> transmitted(QueuedMessage m, SecureMessage sealed) {
    counted(m, false);
    return recordSent(m, sealed, m.sentAt());
  }

  /**
   * Counts a transmission in the metrics (the store learns of it through {@link #recordSent}):
   * {@code sent} for a first attempt, {@code redelivered} for a later attempt or a repeat of an
   * attempt in a new session.
   */
  void counted(QueuedMessage m, boolean repeat) {
    metrics.count(m.attempts() == 1 && !repeat ? "sent" : "redelivered", m.channel());
  }

  /** Records a transmission in the store: status sent, attempts, the record as transmitted. */
  CompletableFuture<Void> recordSent(QueuedMessage m, SecureMessage sealed, Instant at) {
    return batcher.submit(queue.sent(m.agentId(), m.rowId(), m.attempts(), sealed.payload(), sealed.nonce(), at))
        .thenApply(n -> null);
  }

  void redelivering(QueuedMessage m) {
    log.debug("agent_id={} message_id={} not acknowledged after attempt {}", m.agentId(), m.messageId(), m.attempts());
  }

  /**
   * The agent acknowledged {@code m}. {@code unrecorded} is its transmission if the store has not
   * been told of it yet: the transmission and the delivery then go to the store as one write.
   */
  void acknowledged(QueuedMessage m, String rejection, Transmission unrecorded) {
    Instant at = Instant.now();
    if (rejection != null) {
      if (unrecorded != null) {
        recordSent(m, unrecorded.sealed(), unrecorded.at());
      }
      rejected(m.agentId(), m.messageId(), m.channel(), rejection);
      return;
    }
    metrics.count("delivered", m.channel());
    metrics.delivered(Duration.between(m.createdAt(), at));
    statusWrites.write("ack of " + m.messageId(), () -> batcher.submitLazily(unrecorded == null
        ? queue.delivered(m.agentId(), m.messageId(), at)
        : queue.sentAndDelivered(m.agentId(), m.rowId(), m.attempts(), unrecorded.sealed().payload(),
            unrecorded.sealed().nonce(), unrecorded.at(), at), ACK_LINGER));
    for (Listener l : listeners) {
      BatchedWrite settled = l.onDelivered(m);
      if (settled != null) {
        // Lost to a store failure or a crash, the policy or artifact is only pushed again; not a
        // warning, which a store outage would repeat for every ack (the outage has its own).
        batcher.submitLazily(settled, ACK_LINGER).exceptionally(err -> {
          log.debug("agent_id={} message {}: what its delivery settles was not recorded: {}", m.agentId(),
              m.messageId(), String.valueOf(err.getCause() != null ? err.getCause() : err));
          return 0;
        });
      }
    }
  }

  /** A transmission of a message: the record as sent, and when. */
  record Transmission(SecureMessage sealed, Instant at) {}

  /** How long a transmission waits for its ack before the store is told it was sent. */
  Duration sentMarkDelay() {
    return SENT_MARK_DELAY;
  }

  // Most acks arrive within milliseconds: waiting this long before recording "sent" lets one
  // write record both the transmission and the delivery.
  private static final Duration SENT_MARK_DELAY = Duration.ofMillis(250);

  // An ack goes with the next group commit, or alone after this long (WriteBatcher#submitLazily):
  // under load it always finds one; at low rates it saves a commit per message.
  private static final Duration ACK_LINGER = Duration.ofMillis(20);

  /** Records an ack (or refusal) of a message no link here holds; completes with 1 if the store recorded it, else 0. */
  CompletableFuture<Integer> acknowledgedUnknown(String agentId, String messageId, String rejection) {
    if (rejection != null) {
      return rejected(agentId, messageId, "unknown", rejection);
    }
    Instant at = Instant.now();
    return statusWrites.write("ack of " + messageId, () -> batcher.submitLazily(queue.delivered(agentId, messageId, at),
            ACK_LINGER))
        .thenApply(n -> Math.min(1, n));
  }

  private CompletableFuture<Integer> rejected(String agentId, String messageId, String channel, String reason) {
    metrics.count("rejected", channel);
    String error = MessageView.refusal(reason, reason);
    metrics.rejected(io.aegis.protocol.RejectionReasons.normalize(reason));
    log.info("agent_id={} message_id={} {}", agentId, messageId, error);
    Instant at = Instant.now();
    return statusWrites.write("refusal of " + messageId,
        () -> batcher.submit(c -> queue.markFailed(c, agentId, messageId, error, at)));
  }

  void expired(QueuedMessage m) {
    metrics.count("expired", m.channel());
    Instant at = Instant.now();
    batcher.submit(c -> queue.expireDue(c, at));
  }

  void failed(QueuedMessage m, String reason) {
    metrics.count("failed", m.channel());
    log.info("agent_id={} message_id={} failed: {}", m.agentId(), m.messageId(), reason);
    Instant at = Instant.now();
    statusWrites.write("failure of " + m.messageId(), () -> batcher.submit(c -> {
      queue.markFailed(c, m.agentId(), m.messageId(), reason, at);
      return null;
    }));
  }

  void accepted(String channel, int n) {
    metrics.count("accepted", channel, n);
  }

  /** Copies of a message were cancelled in the store: no node sends them (again). */
  void cancelled(String messageId, String channel, int n) {
    metrics.count("cancelled", channel, n);
    relay.cancelled(messageId);
  }

  /** A message was cancelled: no link on this node sends it (again). */
  public void drop(String messageId) {
    for (AgentDispatcher d : dispatchers.values()) {
      d.link().execute(() -> d.drop(messageId));
    }
  }

  void fannedOut(Duration d) {
    metrics.fanOut(d);
  }

  // ------------------------------------------------------------------ sweep

  /**
   * Sweeps this node's part of the queue ({@link SweepScope}: all of it alone, a share of its
   * partitions in a cluster): expires what is past due, samples the queue depth, and finds agents
   * with pending messages that no notice brought to their node (sent while a notice was lost, or
   * left by a crash): their dispatchers here read their backlogs, and in a cluster the nodes that
   * hold the others are told. Every {@value #PURGE_EVERY_SWEEPS} sweeps it also purges finished
   * messages past their retention.
   */
  private void sweep() {
    Instant now = Instant.now();
    boolean purge = ++sweeps % PURGE_EVERY_SWEEPS == 0;
    worker.executeBlocking(() -> {
      List<String> parts = scope.claim();
      Map<String, Long> depth = new java.util.TreeMap<>();
      List<String> agents = new ArrayList<>();
      for (String part : parts) {
        queue.countsByStatus(part).forEach((status, n) -> depth.merge(status, n, Long::sum));
        agents.addAll(queue.agentsWithPending(part, now.minus(config.deliverySweepInterval()), 10_000));
      }
      metrics.depth(depth);
      for (String part : parts) {
        batcher.submit(c -> queue.expireDue(c, part, now)).thenAccept(n -> {
          if (n > 0) {
            metrics.count("expired", "*", n);
          }
        });
        if (purge) {
          purge(part, now.minus(config.messageRetention()));
        }
      }
      return agents;
    }, false).onSuccess(agents -> {
      if (scope.shared()) {
        relay.backlogWaiting(agents);
      } else {
        readBacklogs(agents);
      }
    }).onFailure(e -> log.warn("delivery sweep failed: {}", e.getMessage()));
  }

  /** Deletes finished messages of {@code part} past their retention, a bounded chunk per transaction. */
  private void purge(String part, Instant before) {
    batcher.submit(c -> queue.purgeFinished(c, part, before, PURGE_CHUNK)).thenAccept(n -> {
      if (n > 0) {
        log.debug("purged {} finished messages of {} created before {}", n, part, before);
      }
      if (n == PURGE_CHUNK) {
        purge(part, before); // more to go: the next chunk in a later group commit
      }
    });
  }

  private static final int PURGE_CHUNK = 5000;
  private static final int PURGE_EVERY_SWEEPS = 12;
  private int sweeps;

  @Override
  public void close() {
    vertx.cancelTimer(sweepTimer);
    responseWaiters.values().forEach(w -> w.complete(null));
  }
}
