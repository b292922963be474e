package io.aegis.server.delivery;

import com.fasterxml.jackson.databind.JsonNode;
import io.aegis.protocol.BackendKeyRing;
import io.aegis.protocol.Identifiers;
import io.aegis.protocol.MessageTypes;
import io.aegis.protocol.Protocol;
import io.aegis.protocol.record.CommandSigner;
import io.aegis.protocol.record.SignedCommand;
import io.aegis.server.api.ApiException;
import io.aegis.server.api.ApiJson;
import io.aegis.server.api.AuditTicket;
import io.aegis.server.config.Config;
import io.aegis.server.config.Durations;
import io.aegis.server.registry.AgentRegistry;
import io.aegis.server.store.TimeOrderedIds;
import io.aegis.server.store.WriteBatcher;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Accepts messages for agents: validates them, signs each once with the backend key (a
 * broadcast gets one signature whatever the number of recipients), commits them to the durable
 * queue, and only then reports them accepted and hands them to delivery.
 *
 * <p>Thread-safe. Validation throws {@link ApiException}; the returned futures complete after
 * the commit.
 */
public final class SendService {
  /** Message types an operator may send (the seed's). */
  static final Set<String> SENDABLE_TYPES = Set.of(MessageTypes.REQUEST, MessageTypes.RESPONSE, MessageTypes.EVENT);

  private final Config config;
  private final BackendKeyRing keys;
  private final AgentRegistry registry;
  private final MessageQueue queue;
  private final WriteBatcher batcher;
  private final IdempotencyKeys idempotency;
  private final DeliveryEngine engine;
  private final int maxMessageBytes;

  public SendService(Config config, BackendKeyRing keys, AgentRegistry registry, MessageQueue queue,
                     WriteBatcher batcher, DeliveryEngine engine, IdempotencyKeys idempotency) {
    this.idempotency = idempotency;
    this.config = config;
    this.keys = keys;
    this.registry = registry;
    this.queue = queue;
    this.batcher = batcher;
    this.engine = engine;
    // A record's payload is base64 of the sealed plaintext inside a JSON envelope: leave room.
    this.maxMessageBytes = (config.maxFrameSize() - 4096) / 4 * 3 - 256;
  }

  /** What every send carries, whoever it goes to; {@code body} is the message's JSON, as it is signed. */
  public record Envelope(String channel, byte[] body, String messageType, Duration ttl, Priority priority,
                         Map<String, String> headers) {}

  /**
   * What a request brings besides its message: its idempotency key, if any, its deadline
   * ({@link System#nanoTime}) after which the store must not take it, and the audit entry it
   * owes, if any, which a send whose answer is known before its commit writes in that commit.
   */
  public record Admission(Optional<IdempotencyKeys.Key> key, long deadlineNanos, Optional<AuditTicket> audit) {
    public static final Admission NONE = new Admission(Optional.empty(), Long.MAX_VALUE, Optional.empty());
  }

  /** A request whose idempotency key was already used: the answer given the first time. */
  public static final class Replayed extends RuntimeException {
    private final transient IdempotencyKeys.Answer answer;

    Replayed(IdempotencyKeys.Answer answer) {
      super(null, null, false, false);
      this.answer = answer;
    }

    public IdempotencyKeys.Answer answer() {
      return answer;
    }
  }

  /**
   * A message accepted for one agent.
   *
   * @param deliveringNow whether some node holds the agent's session and was handed it at once
   * @param response      the agent's answer when the send asked to wait for one; empty on timeout
   */
  public record Accepted(QueuedMessage message, boolean deliveringNow,
                         CompletableFuture<java.util.Optional<JsonNode>> response) {}

  /** Validates the parts of a send request that do not depend on the recipient. */
  public Envelope envelope(String channel, JsonNode message, String messageType, String ttl, String priority,
                           Map<String, String> headers) {
    if (channel == null) {
      throw ApiException.invalid("channel is required");
    }
    String channelError = Identifiers.channelError(channel);
    if (channelError != null) {
      throw ApiException.invalid(channelError);
    }
    if (channel.equals(Protocol.CONTROL_CHANNEL)) {
      throw ApiException.invalid("channel 'control' is reserved for the protocol");
    }
    if (message == null || message.isNull() || message.isMissingNode()) {
      throw ApiException.invalid("message is required (any JSON value but null)");
    }
    String type = messageType == null ? MessageTypes.REQUEST : messageType;
    if (!SENDABLE_TYPES.contains(type)) {
      throw ApiException.invalid("message_type must be request, response or event");
    }
    Duration life = config.messageTtl();
    if (ttl != null) {
      try {
        life = Durations.parse(ttl);
      } catch (IllegalArgumentException e) {
        throw ApiException.invalid("ttl: " + e.getMessage());
      }
      if (life.isZero() || life.compareTo(Duration.ofDays(30)) > 0) {
        throw ApiException.invalid("ttl must be more than 0 and at most 30d");
      }
    }
    Map<String, String> h = headers == null ? Map.of() : headers;
    String headerError = Identifiers.headersError(h);
    if (headerError != null) {
      throw ApiException.invalid(headerError);
    }
    byte[] body = ApiJson.write(message); // written once: measured here, signed as it is
    if (body.length > maxMessageBytes) {
      throw ApiException.tooLarge("message must be at most " + maxMessageBytes
          + " bytes of JSON (it must fit in one AEGIS_MAX_FRAME_SIZE record)");
    }
    return new Envelope(channel, body, type, life, Priority.parse(priority), Map.copyOf(h));
  }

  /**
   * Accepts a message for one agent; completes after the commit, when it is also handed to
   * delivery. With {@code wait}, the result carries a future of the agent's response.
   */
  public CompletableFuture<Accepted> send(String agentId, Envelope e, Duration wait) {
    return send(agentId, e, wait, Admission.NONE);
  }

  /**
   * As {@link #send(String, Envelope, Duration)}, admitted with a key and a deadline: if the key
   * was used before (or is taken by a commit racing this one, on any node), the future fails with
   * {@link Replayed} carrying the first answer, and nothing is created.
   */
  public CompletableFuture<Accepted> send(String agentId, Envelope e, Duration wait, Admission admission) {
    QueuedMessage m = prepare(agentId, e);
    String messageId = m.messageId();
    Instant now = m.createdAt();
    CompletableFuture<Optional<IdempotencyKeys.Answer>> committed;
    // Without a wait the answer is known now (202 and the id, or a key's first answer), so the
    // request's audit entry goes in the same commit as its message.
    Optional<AuditTicket> audit = wait == null ? admission.audit() : Optional.empty();
    if (admission.key().isPresent() || audit.isPresent()) {
      Optional<IdempotencyKeys.Key> key = admission.key();
      // The key and the message in one transaction: either both are written, or (the key was
      // taken, here or on another node) neither, and the first answer is returned.
      committed = batcher.submit(c -> {
        Optional<IdempotencyKeys.Answer> first = key.isEmpty() ? Optional.empty()
            : idempotency.claim(c, key.get(), new IdempotencyKeys.Answer(messageId, 202, queuedAnswer(messageId)), now);
        if (first.isEmpty()) {
          queue.insert(c, List.of(m), false);
        }
        if (audit.isPresent()) {
          audit.get().recordIn(c, first.map(IdempotencyKeys.Answer::statusCode).orElse(202),
              List.of(first.map(IdempotencyKeys.Answer::messageId).orElse(messageId)));
        }
        return first;
      }, admission.deadlineNanos());
    } else {
      committed = batcher.submit(queue.insert(m), admission.deadlineNanos()).thenApply(n -> Optional.empty());
    }
    return committed.thenCompose(first -> {
      if (first.isPresent()) {
        return CompletableFuture.failedFuture(new Replayed(first.get()));
      }
      engine.accepted(e.channel(), 1);
      // Wait before announcing: the answer may come back before committed() returns.
      CompletableFuture<java.util.Optional<JsonNode>> response = wait == null ? null
          : engine.awaitResponse(agentId, messageId, wait);
      return engine.committed(List.of(m)).thenApply(reached -> new Accepted(m, reached.contains(agentId), response));
    });
  }

  /** A send's first answer, kept with its idempotency key. */
  private static String queuedAnswer(String messageId) {
    return ApiJson.MAPPER.createObjectNode().put("message_id", messageId).put("status", "queued").toString();
  }

  /**
   * A signed message for {@code agentId}, ready to insert; refuses an unknown or deactivated
   * agent and a full queue. Checked here, on the calling thread, so that the insert can share a
   * JDBC batch in the group commit: concurrent sends to one agent may overshoot the cap by at
   * most their number.
   */
  QueuedMessage prepare(String agentId, Envelope e) {
    boolean active = registry.isActive(agentId)
        .orElseThrow(() -> ApiException.notFound("agent '" + agentId + "' is not registered"));
    if (!active) {
      throw ApiException.conflict("agent_inactive", "agent '" + agentId + "' is deactivated");
    }
    if (queue.undelivered(agentId) >= config.messageQueueSize()) {
      throw new ApiException(429, "queue_full", "agent '" + agentId + "' already has "
          + config.messageQueueSize() + " undelivered messages (MESSAGE_QUEUE_SIZE)");
    }
    Instant now = Instant.now();
    String messageId = TimeOrderedIds.next();
    long expires = expiry(now, e.ttl());
    SignedCommand command = CommandSigner.backend(keys.current())
        .toAgent(agentId, messageId, e.messageType(), e.channel(), expires, e.body());
    return row(agentId, command, e, now, expires);
  }

  /** One prepared item of a batch: its message and key. */
  public record BatchItem(QueuedMessage message, Optional<IdempotencyKeys.Key> key) {}

  /**
   * What became of one batch item: {@code inserted} (with whether a node delivers it now), or
   * {@code replayed} (its key was used before: the first answer), or {@code error}.
   */
  public record BatchOutcome(QueuedMessage inserted, boolean deliveringNow, IdempotencyKeys.Answer replayed,
                             ApiException error) {}

  /**
   * Commits the items of a batch in one transaction (one group commit), each keyed item with its
   * key; completes, after the commit and the announcement, with one outcome per item, in order.
   */
  public CompletableFuture<List<BatchOutcome>> sendBatch(List<BatchItem> items, long deadlineNanos,
                                                         Optional<AuditTicket> audit) {
    Instant now = Instant.now();
    return batcher.submit(c -> {
      List<BatchOutcome> outcomes = new ArrayList<>(items.size());
      List<QueuedMessage> rows = new ArrayList<>(items.size());
      for (BatchItem item : items) {
        QueuedMessage m = item.message();
        if (item.key().isPresent()) {
          try {
            Optional<IdempotencyKeys.Answer> first = idempotency.claim(c, item.key().get(),
                new IdempotencyKeys.Answer(m.messageId(), 202, queuedAnswer(m.messageId())), now);
            if (first.isPresent()) {
              outcomes.add(new BatchOutcome(null, false, first.get(), null));
              continue;
            }
          } catch (ApiException refused) { // the key was used for another request: nothing written
            outcomes.add(new BatchOutcome(null, false, null, refused));
            continue;
          }
        }
        rows.add(m);
        outcomes.add(new BatchOutcome(m, false, null, null));
      }
      queue.insert(c, rows, false);
      if (audit.isPresent()) { // the answer (200, one result per item) is known now
        audit.get().recordIn(c, 200, outcomes.stream()
            .map(o -> o.inserted() != null ? o.inserted().messageId() : o.replayed() != null ? o.replayed().messageId() : null)
            .filter(java.util.Objects::nonNull).toList());
      }
      return outcomes;
    }, deadlineNanos).thenCompose(outcomes -> {
      List<QueuedMessage> inserted = outcomes.stream().map(BatchOutcome::inserted)
          .filter(java.util.Objects::nonNull).toList();
      inserted.forEach(m -> engine.accepted(m.channel(), 1));
      return engine.committed(inserted).thenApply(reached -> outcomes.stream()
          .map(o -> o.inserted() == null ? o
              : new BatchOutcome(o.inserted(), reached.contains(o.inserted().agentId()), null, null))
          .toList());
    });
  }

  /**
   * Queues a message the gateway itself sends (a policy or artifact push) under a chosen id.
   * {@code before} runs first in the same transaction (for example to cancel a push this one
   * supersedes). Completes with false if the agent already has a message with this id.
   */
  public CompletableFuture<Boolean> push(String agentId, String messageId, Envelope e, WriteBatcherWork before) {
    Instant now = Instant.now();
    long expires = expiry(now, e.ttl());
    SignedCommand command = CommandSigner.backend(keys.current())
        .toAgent(agentId, messageId, e.messageType(), e.channel(), expires, e.body());
    QueuedMessage m = row(agentId, command, e, now, expires);
    return batcher.submit(c -> {
      before.run(c);
      if (queue.contains(c, agentId, messageId)) {
        return false;
      }
      queue.insert(c, List.of(m), false);
      return true;
    }).thenApply(inserted -> {
      if (inserted) {
        engine.accepted(e.channel(), 1);
        engine.committed(List.of(m));
      }
      return inserted;
    });
  }

  /** Work done in a push's transaction before its insert. */
  @FunctionalInterface
  public interface WriteBatcherWork {
    void run(java.sql.Connection c) throws java.sql.SQLException;
  }

  /** A broadcast's outcome per recipient. */
  public record BroadcastResult(String messageId, List<String> sentTo, List<String> queued, List<String> failed) {}

  /**
   * Accepts one message for many agents under one signature (audience {@code *}).
   *
   * @param targets   active agents the broadcast is for
   * @param connected which of them have a live session (they get it now)
   * @param queueOffline whether agents without a live session get it queued, or are listed as failed
   * @param full      agents whose queue is full: listed as failed, not queued
   */
  public CompletableFuture<BroadcastResult> broadcast(Envelope e, List<String> targets, Set<String> connected,
                                                      boolean queueOffline, Set<String> full) {
    return broadcast(e, targets, connected, queueOffline, full, Admission.NONE, r -> "");
  }

  /**
   * As above, admitted with a key and a deadline; {@code answer} is the JSON the API sends back
   * for a result, kept under the key. A key used before fails the future with {@link Replayed}.
   */
  public CompletableFuture<BroadcastResult> broadcast(Envelope e, List<String> targets, Set<String> connected,
                                                      boolean queueOffline, Set<String> full, Admission admission,
                                                      java.util.function.Function<BroadcastResult, String> answer) {
    Instant now = Instant.now();
    String messageId = TimeOrderedIds.next();
    long expires = expiry(now, e.ttl());
    SignedCommand command = CommandSigner.backend(keys.current())
        .broadcast(messageId, e.messageType(), e.channel(), expires, e.body());
    List<QueuedMessage> rows = new ArrayList<>();
    List<String> sentTo = new ArrayList<>();
    List<String> queued = new ArrayList<>();
    List<String> failed = new ArrayList<>();
    for (String agentId : targets) {
      if (full.contains(agentId)) {
        failed.add(agentId);
      } else if (connected.contains(agentId)) {
        sentTo.add(agentId);
        rows.add(row(agentId, command, e, now, expires));
      } else if (queueOffline) {
        queued.add(agentId);
        rows.add(row(agentId, command, e, now, expires));
      } else {
        failed.add(agentId);
      }
    }
    long start = System.nanoTime();
    BroadcastResult result = new BroadcastResult(messageId, sentTo, queued, failed);
    return batcher.submit(c -> {
      if (admission.key().isPresent()) {
        Optional<IdempotencyKeys.Answer> first = idempotency.claim(c, admission.key().get(),
            new IdempotencyKeys.Answer(messageId, 202, answer.apply(result)), now);
        if (first.isPresent()) {
          return first; // nothing written
        }
      }
      queue.insert(c, rows, true);
      return Optional.<IdempotencyKeys.Answer>empty();
    }, admission.deadlineNanos()).thenApply(first -> {
      if (first.isPresent()) {
        throw new Replayed(first.get());
      }
      List<QueuedMessage> committed = rows;
      engine.accepted(e.channel(), committed.size());
      engine.committed(committed);
      engine.fannedOut(Duration.ofNanos(System.nanoTime() - start));
      return result;
    });
  }

  private QueuedMessage row(String agentId, SignedCommand command, Envelope e, Instant now, long expires) {
    return new QueuedMessage(TimeOrderedIds.next(), command.id(), agentId, e.channel(), e.messageType(),
        command.body(), command.block(), e.headers(), e.priority(), 0, 0, null, config.messageRetryAttempts(), now,
        Instant.ofEpochMilli(expires));
  }

  /** Expiry in whole milliseconds: the store and the signature must hold the same value. */
  private static long expiry(Instant now, Duration ttl) {
    return now.plus(ttl).truncatedTo(ChronoUnit.MILLIS).toEpochMilli();
  }
}
