package io.aegis.server.delivery;

import com.fasterxml.jackson.databind.JsonNode;
import io.aegis.protocol.SecureMessage;
import io.aegis.server.api.ApiJson;
import io.aegis.server.config.Config;
import io.aegis.server.gateway.AgentSession;
import io.aegis.server.store.WriteBatcher;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
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
 * send is the node that delivers it: each node delivers only to the sessions it holds (one
 * {@link AgentDispatcher} per session), learns of new messages from local sends
 * ({@link #offer}) and from a periodic sweep of the store, and records every transition there.
 * Store writes go through the group-commit writer.
 *
 * <p>Thread-safe. Session callbacks arrive on each session's event loop.
 */
public final class DeliveryEngine implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DeliveryEngine.class);

  /** Told when a message is acknowledged (after the store recorded it). */
  public interface Listener {
    void onDelivered(QueuedMessage message);
  }

  private final Vertx vertx;
  private final Config config;
  private final MessageQueue queue;
  private final WriteBatcher batcher;
  private final WorkerExecutor worker;
  private final DeliveryMetrics metrics;
  private final Map<String, AgentDispatcher> dispatchers = new ConcurrentHashMap<>();
  private final Map<String, CompletableFuture<JsonNode>> responseWaiters = new ConcurrentHashMap<>();
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();
  private final List<Consumer<String>> offerListeners = new CopyOnWriteArrayList<>();
  private final long sweepTimer;

  public DeliveryEngine(Vertx vertx, Config config, MessageQueue queue, WriteBatcher batcher, WorkerExecutor worker,
                        MeterRegistry meters) {
    this.vertx = vertx;
    this.config = config;
    this.queue = queue;
    this.batcher = batcher;
    this.worker = worker;
    this.metrics = new DeliveryMetrics(meters);
    this.sweepTimer = vertx.setPeriodic(config.deliverySweepInterval().toMillis(), id -> sweep());
  }

  public void addListener(Listener listener) {
    listeners.add(listener);
  }

  /**
   * Also tells {@code listener} the agent id of every message offered for delivery on this node
   * (after its commit), for transports that are not sessions: a long poll waiting for that
   * agent wakes up. Called on the offering thread; must not block.
   */
  public void onOffer(Consumer<String> listener) {
    offerListeners.add(listener);
  }

  public MessageQueue queue() {
    return queue;
  }

  // ------------------------------------------------------------------ sessions (event loop)

  public void sessionOpened(AgentSession session) {
    AgentDispatcher d = new AgentDispatcher(this, session);
    AgentDispatcher previous = dispatchers.put(session.agentId(), d);
    if (previous != null) {
      previous.session().execute(previous::stop);
    }
    d.start();
  }

  public void sessionClosed(AgentSession session) {
    AgentDispatcher d = dispatchers.get(session.agentId());
    if (d != null && d.session() == session) {
      dispatchers.remove(session.agentId(), d);
      d.stop();
    }
  }

  public void writable(AgentSession session) {
    AgentDispatcher d = dispatchers.get(session.agentId());
    if (d != null && d.session() == session) {
      d.pump();
    }
  }

  /** The agent acknowledged messages; {@code rejected} maps the ids it refused to its reasons. */
  public void acknowledged(AgentSession session, List<String> ids, Map<String, String> rejected) {
    AgentDispatcher d = dispatchers.get(session.agentId());
    for (String id : ids) {
      if (d != null && d.session() == session) {
        d.acknowledged(id, rejected.get(id));
      } else {
        acknowledgedUnknown(session.agentId(), id, rejected.get(id));
      }
    }
  }

  /**
   * The agent answered request {@code messageId}: the answer also acknowledges it. {@code then}
   * runs on the session's event loop once the answer is stored.
   */
  public void responded(AgentSession session, String messageId, byte[] body, Runnable then) {
    AgentDispatcher d = dispatchers.get(session.agentId());
    if (d != null && d.session() == session) {
      d.acknowledged(messageId, null);
    }
    String response = new String(body, StandardCharsets.UTF_8);
    Instant at = Instant.now();
    batcher.submit(c -> queue.markDelivered(c, session.agentId(), messageId, response, at)).whenComplete((ok, err) -> {
      if (err != null) {
        log.error("agent_id={} message_id={} cannot store the response: {}", session.agentId(), messageId, err.getMessage());
        return;
      }
      CompletableFuture<JsonNode> waiter = responseWaiters.remove(messageId);
      if (waiter != null) {
        waiter.complete(ApiJson.tree(body));
      }
      session.execute(then);
    });
  }

  // ------------------------------------------------------------------ senders (any thread)

  /** Hands committed messages to the sessions on this node that can deliver them now. */
  public void offer(List<QueuedMessage> committed) {
    for (QueuedMessage m : committed) {
      AgentDispatcher d = dispatchers.get(m.agentId());
      if (d != null) {
        d.session().execute(() -> d.offer(m));
      }
      offerListeners.forEach(l -> l.accept(m.agentId()));
    }
  }

  /**
   * Acknowledgements that did not come through a session on this node (the HTTP polling
   * transport): recorded in the store, and the session's dispatcher, if any, is told too.
   */
  public void acknowledged(String agentId, List<String> ids, Map<String, String> rejected) {
    AgentDispatcher d = dispatchers.get(agentId);
    if (d != null) {
      d.session().execute(() -> ids.forEach(id -> d.acknowledged(id, rejected.get(id))));
      return;
    }
    ids.forEach(id -> acknowledgedUnknown(agentId, id, rejected.get(id)));
  }

  /** Records a transmission made by another transport (HTTP polling): status sent, attempts. */
  public void transmittedElsewhere(QueuedMessage m, SecureMessage sealed) {
    transmitted(m, sealed);
  }

  /** Ends a message whose retries another transport used up. */
  public void failedElsewhere(QueuedMessage m, String reason) {
    failed(m, reason);
  }

  /** Records a response that came through another transport and wakes a waiting send. */
  public CompletableFuture<Boolean> respondedElsewhere(String agentId, String messageId, byte[] body) {
    String response = new String(body, StandardCharsets.UTF_8);
    Instant at = Instant.now();
    return batcher.submit(c -> queue.markDelivered(c, agentId, messageId, response, at)).whenComplete((ok, err) -> {
      CompletableFuture<JsonNode> waiter = err == null ? responseWaiters.remove(messageId) : null;
      if (waiter != null) {
        waiter.complete(ApiJson.tree(body));
      }
    });
  }

  /** Whether an agent's session is on this node. */
  public boolean deliversLocally(String agentId) {
    AgentDispatcher d = dispatchers.get(agentId);
    return d != null && d.session().isOpen();
  }

  /**
   * A future for the agent's response to request {@code messageId}, completed empty after
   * {@code wait}. Register before offering the message. A response recorded by another node is
   * found by polling the store once a second.
   */
  public CompletableFuture<Optional<JsonNode>> awaitResponse(String agentId, String messageId, Duration wait) {
    CompletableFuture<JsonNode> waiter = new CompletableFuture<>();
    responseWaiters.put(messageId, waiter);
    long deadline = System.nanoTime() + wait.toNanos();
    long poll = vertx.setPeriodic(1000, id -> worker.executeBlocking(() -> queue.view(agentId, messageId), false)
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

  Duration ackTimeout() {
    return config.ackTimeout();
  }

  Vertx vertx() {
    return vertx;
  }

  void loadBacklog(String agentId, int limit, Consumer<List<QueuedMessage>> then) {
    worker.executeBlocking(() -> queue.backlog(agentId, limit), false)
        .onSuccess(then::accept)
        .onFailure(e -> log.warn("agent_id={} cannot read the backlog: {}", agentId, e.getMessage()));
  }

  void transmitted(QueuedMessage m, SecureMessage sealed) {
    metrics.count(m.attempts() == 1 ? "sent" : "redelivered", m.channel());
    Instant at = Instant.now();
    batcher.submit(c -> {
      queue.markSent(c, m.rowId(), m.attempts(), sealed.payload(), sealed.nonce(), at);
      return null;
    });
  }

  void redelivering(QueuedMessage m) {
    log.debug("agent_id={} message_id={} not acknowledged after attempt {}", m.agentId(), m.messageId(), m.attempts());
  }

  void acknowledged(QueuedMessage m, String rejection) {
    Instant at = Instant.now();
    if (rejection != null) {
      rejected(m.agentId(), m.messageId(), m.channel(), rejection);
      return;
    }
    metrics.count("delivered", m.channel());
    metrics.delivered(Duration.between(m.createdAt(), at));
    batcher.submit(c -> queue.markDelivered(c, m.agentId(), m.messageId(), null, at))
        .thenRun(() -> listeners.forEach(l -> l.onDelivered(m)));
  }

  void acknowledgedUnknown(String agentId, String messageId, String rejection) {
    if (rejection != null) {
      rejected(agentId, messageId, "unknown", rejection);
      return;
    }
    Instant at = Instant.now();
    batcher.submit(c -> queue.markDelivered(c, agentId, messageId, null, at));
  }

  private void rejected(String agentId, String messageId, String channel, String reason) {
    metrics.count("rejected", channel);
    log.info("agent_id={} message_id={} refused by the agent: {}", agentId, messageId, reason);
    Instant at = Instant.now();
    batcher.submit(c -> {
      queue.markFailed(c, agentId, messageId, "refused by the agent: " + reason, at);
      return null;
    });
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
    batcher.submit(c -> {
      queue.markFailed(c, m.agentId(), m.messageId(), reason, at);
      return null;
    });
  }

  void accepted(String channel, int n) {
    metrics.count("accepted", channel, n);
  }

  /** A message was cancelled in the store: make sure no session here sends it (again). */
  void cancelled(String messageId, String channel, int n) {
    metrics.count("cancelled", channel, n);
    for (AgentDispatcher d : dispatchers.values()) {
      d.session().execute(() -> d.drop(messageId));
    }
  }

  void fannedOut(Duration d) {
    metrics.fanOut(d);
  }

  // ------------------------------------------------------------------ sweep

  /**
   * Expires what is past due, samples the queue depth, and hands every local session whose
   * agent has pending messages nobody offered (sent through another node, or lost in a crash)
   * to its dispatcher.
   */
  private void sweep() {
    Instant now = Instant.now();
    batcher.submit(c -> queue.expireDue(c, now)).thenAccept(n -> {
      if (n > 0) {
        metrics.count("expired", "*", n);
      }
    });
    worker.executeBlocking(() -> {
      metrics.depth(queue.countsByStatus());
      return queue.agentsWithPending(now.minus(config.deliverySweepInterval()), 10_000);
    }, false).onSuccess(agents -> {
      for (String agentId : agents) {
        AgentDispatcher d = dispatchers.get(agentId);
        if (d != null) {
          d.session().execute(d::load);
        }
      }
    }).onFailure(e -> log.warn("delivery sweep failed: {}", e.getMessage()));
  }

  @Override
  public void close() {
    vertx.cancelTimer(sweepTimer);
    responseWaiters.values().forEach(w -> w.complete(null));
  }
}
