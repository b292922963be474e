package io.aegis.server.delivery;

import io.aegis.protocol.SecureMessage;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Delivers one agent's messages through its live {@link AgentLink}: strictly by priority, FIFO
 * within a priority, at most {@code window} unacknowledged at once, never more than the link's
 * write queue takes (the rest waits in the durable queue), and again after each acknowledgement
 * deadline, by the {@link Redelivery} rules, until the attempts are used up.
 *
 * <p>Messages come from two places: the store (the backlog at session start, and whatever a
 * sweep finds) and {@link #offer} (sends accepted on this node). A message id seen twice is
 * queued once.
 *
 * <p>Not thread-safe: confined to the link's thread (the engine calls in through
 * {@link AgentLink#execute}).
 */
final class AgentDispatcher {
  private static final int BACKLOG_PAGE = 256;

  private final DeliveryEngine engine;
  private final AgentLink link;
  @SuppressWarnings("unchecked")
  private final ArrayDeque<QueuedMessage>[] queues = new ArrayDeque[Priority.values().length];
  private final Map<String, Inflight> inflight = new LinkedHashMap<>();
  private final Set<String> known = new HashSet<>();
  // Finished ids (acknowledged, expired, failed, cancelled) and when, oldest first, remembered for
  // RECENT_NANOS: the store learns of acks in batches, so a backlog read made meanwhile may still
  // list them as undelivered. Bounded by time, not only by count: with a count alone (4,096 per
  // agent) every session kept its last 4,096 ids for as long as it lived, which over a fleet was
  // the only steady growth of the heap in a soak run.
  private final LinkedHashMap<String, Long> recentlyDone = new LinkedHashMap<>();
  private static final long RECENT_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
  private static final int RECENT_MAX = 4096;
  private boolean loading;
  private boolean backlogMayHaveMore = true;
  private boolean stopped;

  /** A transmitted message waiting for its ack; its transmission is told to the store after a short delay. */
  private static final class Inflight {
    final QueuedMessage message;
    final DeliveryEngine.Transmission transmission;
    long ackTimer;
    long markTimer;
    boolean recorded;

    Inflight(QueuedMessage message, DeliveryEngine.Transmission transmission) {
      this.message = message;
      this.transmission = transmission;
    }
  }

  AgentDispatcher(DeliveryEngine engine, AgentLink link) {
    this.engine = engine;
    this.link = link;
    for (int i = 0; i < queues.length; i++) {
      queues[i] = new ArrayDeque<>(1); // most sessions are idle: grow on use, not 16 slots each
    }
  }

  AgentLink link() {
    return link;
  }

  /** Loads the agent's backlog from the store and starts delivering. */
  void start() {
    load();
  }

  /** Reads the next page of the backlog (unless a read is already under way). */
  void load() {
    if (loading || stopped) {
      return;
    }
    loading = true;
    engine.loadBacklog(link.agentId(), BACKLOG_PAGE, rows -> link.execute(() -> {
      loading = false;
      int added = 0;
      for (QueuedMessage m : rows) {
        added += enqueue(m) ? 1 : 0;
      }
      // A full page that brought nothing new is the store lagging behind our acks: wait for the
      // next ack, offer or sweep rather than read again at once.
      backlogMayHaveMore = rows.size() == BACKLOG_PAGE && added > 0;
      pump();
    }));
  }

  /** A message accepted on this node for this agent, already committed. */
  void offer(QueuedMessage m) {
    if (enqueue(m)) {
      pump();
    }
  }

  private boolean enqueue(QueuedMessage m) {
    if (stopped || recentlyDone.containsKey(m.messageId()) || !known.add(m.messageId())) {
      return false;
    }
    queues[m.priority().rank()].addLast(m);
    return true;
  }

  /** Sends what the window and the link allow. */
  void pump() {
    Redelivery rules = engine.redelivery();
    while (!stopped && !engine.held() && inflight.size() < engine.window() && link.writable()) {
      QueuedMessage m = next();
      if (m == null) {
        if (backlogMayHaveMore) {
          load();
        }
        return;
      }
      Instant now = Instant.now();
      // Everything queued here is new to this link, or came back because its ack deadline
      // passed: a fresh link never waits.
      switch (rules.verdict(m, now, true)) {
        case EXPIRE -> {
          forget(m.messageId());
          engine.expired(m);
        }
        case FAIL -> {
          forget(m.messageId());
          engine.failed(m, rules.exhaustedReason(m));
        }
        case SEND, WAIT -> transmit(rules.transmission(m, now), now);
      }
    }
  }

  /** {@code messageId} is finished here: neither queued nor in flight, and not queued again. */
  private void forget(String messageId) {
    known.remove(messageId);
    done(messageId);
  }

  /** Remembers {@code messageId} as finished, and lets go of what finished long enough ago. */
  private void done(String messageId) {
    long now = System.nanoTime();
    recentlyDone.put(messageId, now);
    var oldest = recentlyDone.values().iterator();
    while (oldest.hasNext()) {
      long at = oldest.next();
      if (recentlyDone.size() <= RECENT_MAX && now - at <= RECENT_NANOS) {
        break;
      }
      oldest.remove();
    }
  }

  private QueuedMessage next() {
    for (ArrayDeque<QueuedMessage> q : queues) {
      QueuedMessage m = q.pollFirst();
      if (m != null) {
        return m;
      }
    }
    return null;
  }

  /** Sends {@code m} (its current attempt, begun at {@code m.sentAt()}) and waits for its ack until its deadline. */
  private void transmit(QueuedMessage m, Instant now) {
    SecureMessage sealed = link.send(m.command(), m.headers());
    if (sealed == null) {
      // The link closed under us; the store still holds the message for the next session.
      return;
    }
    Inflight f = new Inflight(m, new DeliveryEngine.Transmission(sealed, m.sentAt()));
    Redelivery rules = engine.redelivery();
    // A repeat of an attempt begun in an earlier session waits only for what is left of it.
    long untilDeadline = Math.max(1, java.time.Duration.between(now, rules.ackDeadline(m)).toMillis() + 1);
    // Timers fire on a Vert.x thread, not necessarily the link's: their work hops to the link.
    f.ackTimer = engine.vertx().setTimer(untilDeadline, id -> link.execute(() -> ackTimedOut(f)));
    f.markTimer = engine.vertx().setTimer(engine.sentMarkDelay().toMillis(), id -> link.execute(() -> record(f)));
    inflight.put(m.messageId(), f);
    engine.counted(m, !m.sentAt().equals(now));
  }

  /** Tells the store of the transmission, once (if the ack has not already done so). */
  private void record(Inflight f) {
    if (!f.recorded) {
      f.recorded = true;
      engine.vertx().cancelTimer(f.markTimer);
      engine.recordSent(f.message, f.transmission.sealed(), f.transmission.at());
    }
  }

  private void cancelTimers(Inflight f) {
    engine.vertx().cancelTimer(f.ackTimer);
    engine.vertx().cancelTimer(f.markTimer);
  }

  private void ackTimedOut(Inflight f) {
    // The ack may have arrived between the timer firing and this task running.
    if (stopped || !inflight.remove(f.message.messageId(), f)) {
      return;
    }
    record(f); // the attempt counts against the retries, in the store too
    QueuedMessage m = f.message;
    engine.redelivering(m);
    // Back to the front of its queue: it goes out again, as its next attempt (its deadline has
    // passed), before anything that came after it.
    queues[m.priority().rank()].addFirst(m);
    pump();
  }

  /** The agent acknowledged {@code messageId}; {@code rejection} is its reason if it refused it. */
  void acknowledged(String messageId, String rejection) {
    Inflight f = inflight.remove(messageId);
    if (f == null) {
      // An ack for a message from an earlier session, or a duplicate: the store decides.
      engine.acknowledgedUnknown(link.agentId(), messageId, rejection);
      return;
    }
    cancelTimers(f);
    forget(messageId);
    engine.acknowledged(f.message, rejection, f.recorded ? null : f.transmission);
    f.recorded = true;
    pump();
  }

  /** Forgets a cancelled message: it is not sent (again). */
  void drop(String messageId) {
    if (!known.remove(messageId)) {
      return;
    }
    done(messageId);
    Inflight f = inflight.remove(messageId);
    if (f != null) {
      cancelTimers(f);
      pump();
      return;
    }
    for (ArrayDeque<QueuedMessage> q : queues) {
      q.removeIf(m -> m.messageId().equals(messageId));
    }
  }

  /** Whether {@code messageId} is queued or in flight here. */
  boolean holds(String messageId) {
    return known.contains(messageId);
  }

  /** The session closed: drop everything (the store keeps it for the next session). */
  void stop() {
    stopped = true;
    for (Inflight f : inflight.values()) {
      // What was transmitted stays recorded as sent: the next session counts it as an attempt.
      record(f);
      cancelTimers(f);
    }
    inflight.clear();
    for (ArrayDeque<QueuedMessage> q : queues) {
      q.clear();
    }
    known.clear();
    recentlyDone.clear();
  }

  int inflightCount() {
    return inflight.size();
  }

  List<String> inflightIds() {
    return List.copyOf(inflight.keySet());
  }
}
