package io.aegis.server.polling;

import io.aegis.protocol.SecureMessage;
import io.aegis.protocol.http.GatewayAnswer;
import io.aegis.protocol.http.HttpExchange;
import io.aegis.protocol.http.HttpSession;
import io.aegis.protocol.record.RecordException;
import io.aegis.protocol.record.SignedCommand;
import io.aegis.server.api.ApiException;
import io.aegis.server.auth.AgentSessions;
import io.aegis.server.auth.NextKeyAnnouncement;
import io.aegis.server.cluster.Presence;
import io.aegis.server.cluster.Transport;
import io.aegis.server.delivery.DeliveryEngine;
import io.aegis.server.delivery.MessageQueue;
import io.aegis.server.delivery.QueuedMessage;
import io.aegis.server.delivery.Redelivery;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivery to agents that poll over HTTP, with the guarantees of a session: an answer carries the
 * agent's due messages in delivery order (priority, then FIFO) — pending ones, and sent ones whose
 * ack deadline has passed — never an expired one; a message whose attempts are used up is failed
 * instead (the {@link Redelivery} rules a session follows too). Each message carried is
 * recorded as sent (attempts + 1) through {@link DeliveryEngine#transmittedElsewhere} before the
 * answer leaves.
 *
 * <p>When nothing is due a poll waits up to its {@code wait}: it looks again when a message for its
 * agent is committed ({@link #offered}, from the cluster's events), when the next sent message
 * becomes due, and at least once a second (a commit whose notice did not reach this node). No
 * thread waits.
 *
 * <p>One poll per agent at a time on this node: a new poll ends a waiting one — with an empty
 * answer if both belong to the same HTTP session, with 409 {@code replaced} if the waiting one
 * belongs to an older session of the agent (a newer one replaced it; a poll of an older session
 * than the waiting one's is refused so instead) — and looking at the store is serialized per
 * agent, so two polls never carry the same transmission. A new HTTP session issued on this node
 * ({@link #replacedBy}) and a deactivation ({@link #refuse}) end a waiting poll at once; on other
 * nodes the token is looked at again before an answer carries messages, so a poll never hands
 * messages to a session that was replaced or revoked while it waited. This node holds the agent's
 * {@link Presence} (over {@link Transport#HTTP_POLLING}) from its first poll until
 * {@code AEGIS_MAX_POLL_WAIT} after its last one.
 *
 * <p>While the gateway holds a next backend key, the first answer this node gives to a poll of
 * each HTTP session starts with its announcement ({@link NextKeyAnnouncement}, docs/PROTOCOL.md
 * §17.3): it never makes a poll answer early, does not count towards {@code max}, and is sent
 * again in a later answer if the client went away before the answer reached it.
 *
 * <p>Thread-safe: each agent's state is guarded by its own lock.
 */
public final class PollService implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PollService.class);
  /** Backlog rows looked at per collection at most (the rest waits for the next poll). */
  private static final int MAX_SCAN = 10_000;
  private static final long RECHECK_MILLIS = 1000;

  private final Vertx vertx;
  private final WorkerExecutor worker;
  private final MessageQueue queue;
  private final DeliveryEngine delivery;
  private final long presenceMillis;
  private final long maxAnswerBytes;
  private final SecureRandom random = new SecureRandom();
  private final Map<String, AgentPolls> agents = new ConcurrentHashMap<>();
  private final HttpSessions sessions;
  private final NextKeyAnnouncement announcement;
  private final Presence presence;
  private final long cleanupTimer;

  public PollService(Vertx vertx, WorkerExecutor worker, MessageQueue queue, DeliveryEngine delivery,
                     HttpSessions sessions, NextKeyAnnouncement announcement, Presence presence,
                     Duration presenceWindow, long maxAnswerBytes) {
    this.vertx = vertx;
    this.presence = presence;
    this.sessions = sessions;
    this.announcement = announcement;
    this.worker = worker;
    this.queue = queue;
    this.delivery = delivery;
    this.presenceMillis = presenceWindow.toMillis();
    this.maxAnswerBytes = maxAnswerBytes;
    // Presence ends within a tenth of its window after it should.
    this.cleanupTimer = vertx.setPeriodic(Math.max(1000, presenceMillis / 10), id -> cleanup());
  }

  /** One agent's polls on this node; its fields are guarded by the object itself. */
  private static final class AgentPolls {
    private CompletableFuture<Void> tail = CompletableFuture.completedFuture(null);
    private Poll waiting;
    private long lastSeenMillis;
    /** Removed by the cleanup: a poll that found it in the map looks again. */
    private boolean retired;
    /** {@code <session id>/<next key id>} of the last announcement an answer carried, or null. */
    private String announced;
  }

  /** The result of looking at an agent's backlog: an answer body if anything was due. */
  private record Collected(byte[] body, long nextDueMillis) {}

  /** What a scan of the backlog found. */
  private record Scan(List<QueuedMessage> due, List<QueuedMessage> exhausted, long nextDueMillis) {}

  /** A scan, and the state of the poll's token when the scan found messages due (else LIVE, not looked at). */
  private record Looked(Scan scan, AgentSessions.TokenState token) {}

  /**
   * Answers one poll: the body of a sealed answer (possibly empty) once messages are due or
   * {@code wait} has passed, or a failed future with the {@link ApiException} to answer instead
   * (409 {@code replaced}, 401 {@code token_revoked} or {@code unauthorized}). {@code clientGone}
   * is how the caller reports that the client left.
   */
  CompletableFuture<byte[]> poll(HttpSessions.Opened opened, byte[] clientNonce, Duration wait, int max,
                                 java.util.function.Consumer<Runnable> clientGone) {
    AgentPolls state;
    Poll p;
    Poll superseded;
    while (true) {
      state = agents.computeIfAbsent(opened.agentId(), k -> {
        presence.held(k, Transport.HTTP_POLLING);
        return new AgentPolls();
      });
      p = new Poll(opened, state, clientNonce, max, wait.toMillis());
      synchronized (state) {
        if (state.retired) {
          continue; // the cleanup removed it a moment ago: the next look makes a new one
        }
        state.lastSeenMillis = System.currentTimeMillis();
        superseded = state.waiting;
        if (superseded != null && superseded.newerThan(p)) {
          // This poll's session was replaced just after its token was looked at.
          return CompletableFuture.failedFuture(AgentSessions.TokenState.REPLACED.refusal());
        }
        state.waiting = p;
      }
      break;
    }
    if (superseded != null) {
      if (p.newerThan(superseded)) {
        superseded.finish(AgentSessions.TokenState.REPLACED.refusal());
      } else {
        superseded.finishEmpty();
      }
    }
    clientGone.accept(p::cancel);
    p.start();
    return p.result;
  }

  /**
   * A new HTTP session of {@code agentId}, {@code sessionId}, was issued (and its earlier ones
   * revoked): a poll of another session waiting here ends with 409 {@code replaced}.
   */
  void replacedBy(String agentId, String sessionId) {
    Poll p = waiting(agentId);
    if (p != null && !p.sessionId().equals(sessionId)) {
      p.finish(AgentSessions.TokenState.REPLACED.refusal());
    }
  }

  /** The agent's tokens were revoked ({@code why}): a poll waiting here ends with that refusal. */
  void refuse(String agentId, AgentSessions.TokenState why) {
    Poll p = waiting(agentId);
    if (p != null) {
      p.finish(why.refusal());
    }
  }

  private Poll waiting(String agentId) {
    AgentPolls state = agents.get(agentId);
    if (state == null) {
      return null;
    }
    synchronized (state) {
      return state.waiting;
    }
  }

  /** A message for {@code agentId} was committed: a poll of it waiting here looks at once. */
  void offered(String agentId) {
    Poll p = waiting(agentId);
    if (p != null) {
      p.check();
    }
  }

  /** Forgets agents that stopped polling here (no poll waits, none for the presence window). */
  private void cleanup() {
    long now = System.currentTimeMillis();
    for (var e : agents.entrySet()) {
      AgentPolls s = e.getValue();
      synchronized (s) {
        if (s.waiting != null || now - s.lastSeenMillis <= presenceMillis || !s.tail.isDone()) {
          continue;
        }
        // A poll that found this entry before its removal sees it retired and makes a new one.
        s.retired = true;
      }
      // Atomic with computeIfAbsent in poll(): a new entry's presence is held after this release.
      agents.computeIfPresent(e.getKey(), (agentId, current) -> {
        if (current != s) {
          return current;
        }
        presence.released(agentId, Transport.HTTP_POLLING);
        return null;
      });
    }
  }

  /** Ends every waiting poll with an empty answer (the node is stopping). */
  @Override
  public void close() {
    vertx.cancelTimer(cleanupTimer);
    for (AgentPolls s : agents.values()) {
      Poll p;
      synchronized (s) {
        p = s.waiting;
      }
      if (p != null) {
        p.finishEmpty();
      }
    }
  }

  /** One poll in progress. Its mutable fields are guarded by its agent's {@link AgentPolls}. */
  private final class Poll {
    private final String agentId;
    private final HttpSessions.Opened opened;
    private final AgentPolls state;
    private final HttpSession session;
    private final byte[] clientNonce;
    private final int max;
    private final long waitMillis;
    private final CompletableFuture<byte[]> result = new CompletableFuture<>();
    private boolean done;
    private boolean checking;
    private boolean again;
    private boolean deadlinePassed;
    private long recheckTimer = -1;
    private long deadlineTimer = -1;
    /** The announcement mark of the last answer built with the announcement, or null. */
    private String carried;

    Poll(HttpSessions.Opened opened, AgentPolls state, byte[] clientNonce, int max, long waitMillis) {
      this.agentId = opened.agentId();
      this.opened = opened;
      this.state = state;
      this.session = opened.keys();
      this.clientNonce = clientNonce;
      this.max = max;
      this.waitMillis = waitMillis;
    }

    String sessionId() {
      return opened.sessionId();
    }

    /** Whether this poll belongs to a later HTTP session of the agent than {@code other}'s. */
    boolean newerThan(Poll other) {
      return !sessionId().equals(other.sessionId()) && opened.createdAt().isAfter(other.opened.createdAt());
    }

    void start() {
      synchronized (state) {
        if (waitMillis <= 0) {
          deadlinePassed = true;
        } else {
          deadlineTimer = vertx.setTimer(waitMillis, id -> deadline());
        }
      }
      check();
    }

    /** Looks at the backlog now, or right after the look under way. */
    void check() {
      synchronized (state) {
        if (done) {
          return;
        }
        if (checking) {
          again = true;
          return;
        }
        checking = true;
        cancelRecheck();
      }
      collect().whenComplete(this::checked);
    }

    private void checked(Collected c, Throwable err) {
      byte[] finished = null;
      boolean lookAgain = false;
      Throwable failure = null;
      synchronized (state) {
        checking = false;
        if (done) {
          // Superseded or abandoned while looking: anything collected goes out again after its timeout.
          return;
        }
        if (err != null) {
          failure = err;
          end();
        } else if (c.body() != null) {
          finished = c.body();
          end();
        } else if (deadlinePassed) {
          finished = emptyBody();
          end();
        } else if (again) {
          again = false;
          lookAgain = true;
        } else {
          long untilDue = c.nextDueMillis() - System.currentTimeMillis();
          recheckTimer = vertx.setTimer(Math.max(1, Math.min(RECHECK_MILLIS, untilDue)), id -> check());
        }
      }
      if (failure != null) {
        result.completeExceptionally(failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
            ? failure.getCause() : failure);
      } else if (finished != null) {
        deliver(finished);
      } else if (lookAgain) {
        check();
      }
    }

    private void deadline() {
      byte[] empty = null;
      synchronized (state) {
        deadlinePassed = true;
        if (!done && !checking) {
          empty = emptyBody();
          end();
        }
      }
      if (empty != null) {
        deliver(empty);
      }
    }

    /** Ends the poll with an empty answer (superseded by a newer poll, or the node stops). */
    void finishEmpty() {
      byte[] empty;
      synchronized (state) {
        if (done) {
          return;
        }
        empty = emptyBody();
        end();
      }
      deliver(empty);
    }

    /** Ends the poll with an error answer instead (replaced, revoked). */
    void finish(ApiException refusal) {
      synchronized (state) {
        if (done) {
          return;
        }
        end();
      }
      result.completeExceptionally(refusal);
    }

    /** The client went away: stop looking; an announcement its answer carried did not arrive. */
    void cancel() {
      finishEmpty();
      synchronized (state) {
        if (carried != null && carried.equals(state.announced)) {
          state.announced = null;
        }
      }
    }

    /** Completes the poll with an answer body, noting the announcement it carries as sent. */
    private void deliver(byte[] body) {
      synchronized (state) {
        if (carried != null) {
          state.announced = carried;
        }
      }
      result.complete(body);
    }

    /** Marks the poll done; the caller holds the lock. */
    private void end() {
      done = true;
      cancelRecheck();
      if (deadlineTimer >= 0) {
        vertx.cancelTimer(deadlineTimer);
      }
      if (state.waiting == this) {
        state.waiting = null;
      }
      state.lastSeenMillis = System.currentTimeMillis();
    }

    private void cancelRecheck() {
      if (recheckTimer >= 0) {
        vertx.cancelTimer(recheckTimer);
        recheckTimer = -1;
      }
    }

    private byte[] emptyBody() {
      return newAnswer().body().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * A new answer; its first record is the next backend key's announcement if the gateway holds
     * a next key and this node has not yet answered this session with its announcement.
     */
    private GatewayAnswer newAnswer() {
      GatewayAnswer answer = session.newAnswer(clientNonce, random);
      String mark = announcement.nextKeyId().map(k -> sessionId() + "/" + k).orElse(null);
      if (mark == null) {
        return answer;
      }
      synchronized (state) {
        if (mark.equals(state.announced)) {
          return answer;
        }
        carried = mark;
      }
      Optional<SignedCommand> a = announcement.current();
      if (a.isPresent()) {
        try {
          answer.seal(a.get(), Map.of());
        } catch (RecordException | RuntimeException e) {
          log.error("agent_id={} cannot seal the backend key announcement: {}", agentId, e.getMessage());
        }
      }
      return answer;
    }

    private boolean isDone() {
      synchronized (state) {
        return done;
      }
    }

    /** Collects due messages into an answer, serialized with every other collection for this agent. */
    private CompletableFuture<Collected> collect() {
      CompletableFuture<Collected> run;
      synchronized (state) {
        run = state.tail.handle((v, e) -> null).thenCompose(v -> collectNow());
        state.tail = run.handle((v, e) -> null);
      }
      return run;
    }

    private CompletableFuture<Collected> collectNow() {
      if (isDone()) {
        return CompletableFuture.completedFuture(new Collected(null, Long.MAX_VALUE));
      }
      Instant now = Instant.now();
      return worker.executeBlocking(() -> {
        Scan scan = scan(now);
        // Before messages go out, the token once more: on another node it may have been replaced
        // or revoked while this poll waited.
        return new Looked(scan, scan.due().isEmpty() ? AgentSessions.TokenState.LIVE : sessions.state(opened));
      }, false).toCompletionStage().toCompletableFuture()
          .thenCompose(looked -> {
            Scan scan = looked.scan();
            for (QueuedMessage m : scan.exhausted()) {
              delivery.failedElsewhere(m, delivery.redelivery().exhaustedReason(m));
            }
            if (looked.token() != AgentSessions.TokenState.LIVE) {
              log.info("agent_id={} poll of session {} ended: its token is {}", agentId, sessionId(), looked.token());
              throw looked.token().refusal();
            }
            if (scan.due().isEmpty() || isDone()) {
              return CompletableFuture.completedFuture(new Collected(null, scan.nextDueMillis()));
            }
            return seal(scan);
          });
    }

    /**
     * Seals the due messages into one answer (after the announcement, if it carries one; that
     * does not count towards {@code max}) and records each as sent before the answer leaves.
     */
    private CompletableFuture<Collected> seal(Scan scan) {
      GatewayAnswer answer = newAnswer();
      int first = answer.size();
      List<CompletableFuture<Void>> marks = new ArrayList<>();
      for (QueuedMessage m : scan.due()) {
        if (answer.size() >= HttpExchange.MAX_RECORDS
            || answer.size() > first && answer.encodedLength() + estimate(m) > maxAnswerBytes) {
          break;
        }
        QueuedMessage sent = delivery.redelivery().transmission(m, Instant.now());
        SecureMessage record;
        try {
          record = answer.seal(sent.command(), sent.headers());
        } catch (RecordException | RuntimeException e) {
          log.error("agent_id={} message_id={} cannot be sealed: {}", agentId, m.messageId(), e.getMessage());
          continue;
        }
        marks.add(delivery.transmittedElsewhere(sent, record));
      }
      byte[] body = answer.body().getBytes(StandardCharsets.UTF_8);
      boolean any = answer.size() > first;
      return CompletableFuture.allOf(marks.toArray(CompletableFuture[]::new))
          .thenApply(v -> new Collected(any ? body : null, scan.nextDueMillis()));
    }

    /** The agent's backlog in delivery order: what is due now, what is used up, and when the next becomes due. */
    private Scan scan(Instant now) {
      Redelivery rules = delivery.redelivery();
      List<QueuedMessage> due = new ArrayList<>();
      List<QueuedMessage> exhausted = new ArrayList<>();
      long nextDue = Long.MAX_VALUE;
      int page = Math.max(64, max);
      int priority = -1;
      long seq = -1;
      int scanned = 0;
      while (due.size() < max && scanned < MAX_SCAN) {
        List<QueuedMessage> rows = queue.backlogPage(agentId, priority, seq, page);
        for (QueuedMessage m : rows) {
          priority = m.priority().rank();
          seq = m.seq();
          scanned++;
          // A poll is no fresh link: what an earlier answer carried waits for its ack deadline.
          switch (rules.verdict(m, now, false)) {
            case EXPIRE -> { }
            case WAIT -> nextDue = Math.min(nextDue, rules.ackDeadline(m).toEpochMilli());
            case FAIL -> exhausted.add(m);
            case SEND -> due.add(m);
          }
          if (due.size() == max) {
            break;
          }
        }
        if (rows.size() < page) {
          break;
        }
      }
      return new Scan(due, exhausted, nextDue);
    }
  }

  /** An upper bound on the JSON length of a message's record (base64 of body and signature block, envelope, headers). */
  private static long estimate(QueuedMessage m) {
    long n = (m.payload().length + 200L) * 4 / 3 + 400 + m.messageId().length() + m.channel().length();
    for (Map.Entry<String, String> h : m.headers().entrySet()) {
      n += h.getKey().length() + 6L * h.getValue().length() + 8;
    }
    return n;
  }
}
