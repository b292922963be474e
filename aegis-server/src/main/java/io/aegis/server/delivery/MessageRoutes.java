package io.aegis.server.delivery;

import com.fasterxml.jackson.databind.JsonNode;
import io.aegis.server.api.Access;
import io.aegis.server.api.Scope;
import io.aegis.server.api.ApiException;
import io.aegis.server.api.ApiJson;
import io.aegis.server.api.ApiRequest;
import io.aegis.server.api.ApiRouter;
import io.aegis.server.api.Paging;
import io.aegis.server.api.Reply;
import io.aegis.server.config.Config;
import io.aegis.server.config.Durations;
import io.aegis.server.registry.AgentRegistry;
import io.aegis.server.store.WriteBatcher;
import io.vertx.core.http.HttpMethod;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Sending to agents and following what became of it: {@code POST /api/v1/agents/{id}/send},
 * {@code POST /api/v1/agents/broadcast}, {@code GET /api/v1/messages/{id}},
 * {@code GET /api/v1/agents/{id}/messages} and {@code DELETE /api/v1/messages/{id}}.
 */
public final class MessageRoutes {
  static final Set<String> STATUSES = Set.of(MessageQueue.PENDING, MessageQueue.SENT, MessageQueue.DELIVERED,
      MessageQueue.FAILED, MessageQueue.EXPIRED, MessageQueue.CANCELLED);

  /** The seed's send body, plus options. */
  record SendRequest(String channel, JsonNode message, String messageType, String ttl, String priority,
                     @com.fasterxml.jackson.annotation.JsonProperty("wait") String waitFor, Map<String, String> headers) {}

  /** The seed's answer ({@code message_id}, {@code status}), plus the agent's response when waited for. */
  record SendResponse(String messageId, String status, JsonNode response, Boolean timedOut) {}

  /** Who a broadcast is for: exactly one of these (none means every active agent). */
  record Target(Boolean all, Map<String, String> labels, Boolean subscribers, List<String> agentIds) {}

  record BroadcastRequest(String channel, JsonNode message, String messageType, String ttl, String priority,
                          Map<String, String> headers, Target target, Boolean queueOffline) {}

  record Counts(int sentTo, int queued, int failed) {}

  /** The seed's broadcast answer ({@code message_id, sent_to, failed}) plus the queued agents and counts. */
  record BroadcastResponse(String messageId, List<String> sentTo, List<String> queued, List<String> failed,
                           Counts counts) {}

  record MessageList(List<MessageView> messages, String nextCursor) {}

  /** One item of {@code POST /api/v1/messages}: a send's body plus its agent and, optionally, its key. */
  record BatchItemRequest(String agentId, String channel, JsonNode message, String messageType, String ttl,
                          String priority, Map<String, String> headers, String idempotencyKey) {}

  record ItemError(String code, String message) {}

  /** One item's answer: {@code message_id} and {@code status}, or {@code error}. */
  record BatchResult(String messageId, String status, Boolean replayed, ItemError error) {}

  record BatchResponse(List<BatchResult> results) {}

  /** Most sends in one {@code POST /api/v1/messages}. */
  static final int MAX_BATCH = 1000;

  record Cancelled(String messageId, int cancelled) {}

  private final Config config;
  private final SendService sender;
  private final MessageQueue queue;
  private final WriteBatcher batcher;
  private final DeliveryEngine engine;
  private final Recipients recipients;
  private final AgentRegistry registry;
  private final IdempotencyKeys keys;
  private final Approvals approvals;
  private final java.util.function.Predicate<String> tokenActive;

  /** @param tokenActive whether an operator token (by id) is still accepted (for approvals) */
  public MessageRoutes(Config config, SendService sender, MessageQueue queue, WriteBatcher batcher,
                       DeliveryEngine engine, Recipients recipients, AgentRegistry registry, IdempotencyKeys keys,
                       Approvals approvals, java.util.function.Predicate<String> tokenActive) {
    this.tokenActive = tokenActive;
    this.keys = keys;
    this.approvals = approvals;
    this.config = config;
    this.sender = sender;
    this.queue = queue;
    this.batcher = batcher;
    this.engine = engine;
    this.recipients = recipients;
    this.registry = registry;
  }

  public void mount(ApiRouter api) {
    api.routeAsync(HttpMethod.POST, "/api/v1/agents/broadcast", Access.operator(Scope.BROADCAST).selective(), this::broadcast);
    api.routeAsync(HttpMethod.POST, "/api/v1/agents/:agent_id/send", Access.operator(Scope.SEND), this::send);
    api.routeAsync(HttpMethod.POST, "/api/v1/messages", Access.operator(Scope.SEND).selective(), this::batch);
    api.route(HttpMethod.GET, "/api/v1/messages/:message_id", Access.operator(Scope.READ).selective(), r -> Reply.ok(
        addressable(r, r.path("message_id"))));
    api.route(HttpMethod.GET, "/api/v1/agents/:agent_id/messages", Access.operator(Scope.READ), this::list);
    api.routeAsync(HttpMethod.DELETE, "/api/v1/messages/:message_id", Access.operator(Scope.SEND).selective(), this::cancel);
    new ApprovalRoutes(approvals, this, batcher, tokenActive).mount(api);
  }

  /** The request's idempotency key, deadline ({@code AEGIS_REQUEST_DEADLINE}, or shorter with {@code Request-Timeout}) and audit entry. */
  private SendService.Admission admission(ApiRequest r) {
    return new SendService.Admission(IdempotencyKeys.of(r), deadline(r), r.audit());
  }

  /** When the store must have taken the request ({@link System#nanoTime}). */
  private long deadline(ApiRequest r) {
    Duration deadline = config.requestDeadline();
    Optional<String> asked = r.header(REQUEST_TIMEOUT);
    if (asked.isPresent()) {
      Duration d;
      try {
        d = Durations.parse(asked.get());
      } catch (IllegalArgumentException ex) {
        throw ApiException.badRequest("invalid_request_timeout", REQUEST_TIMEOUT + ": " + ex.getMessage());
      }
      if (d.isZero() || d.isNegative()) {
        throw ApiException.badRequest("invalid_request_timeout", REQUEST_TIMEOUT + " must be positive");
      }
      if (d.compareTo(deadline) < 0) {
        deadline = d;
      }
    }
    return System.nanoTime() + deadline.toNanos();
  }

  static final String REQUEST_TIMEOUT = "Request-Timeout";

  /** The first answer given under a key used again: same message id, same status code. */
  private Reply replay(IdempotencyKeys.Answer first, boolean send) {
    byte[] body = first.response().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    if (send) {
      // The status as it is now (the first answer said sent or queued; it may have moved on).
      String status = queue.view(first.messageId()).map(v -> MessageQueue.PENDING.equals(v.status()) ? "queued"
          : v.status()).orElse("queued");
      body = ApiJson.write(new SendResponse(first.messageId(), status, null, null));
    }
    return new Reply(first.statusCode(), body, "application/json", Map.of("Idempotent-Replayed", "true"));
  }

  /** Answers a send or broadcast that lost the race for its key (another commit took it) with the first answer. */
  private static CompletionStage<Reply> settled(CompletionStage<Reply> stage) {
    return stage.handle((reply, err) -> {
      Throwable t = err instanceof java.util.concurrent.CompletionException && err.getCause() != null
          ? err.getCause() : err;
      if (t == null) {
        return reply;
      }
      if (t instanceof SendService.Replayed replayed) {
        return new Reply(replayed.answer().statusCode(),
            replayed.answer().response().getBytes(java.nio.charset.StandardCharsets.UTF_8), "application/json",
            Map.of("Idempotent-Replayed", "true"));
      }
      if (t instanceof io.aegis.server.store.DeadlineExceeded) {
        throw new ApiException(504, "deadline_exceeded", "the store did not take the request before its deadline "
            + "(AEGIS_REQUEST_DEADLINE or Request-Timeout); nothing was committed");
      }
      throw t instanceof RuntimeException re ? re : new java.util.concurrent.CompletionException(t);
    });
  }

  private CompletionStage<Reply> send(ApiRequest r) {
    SendService.Admission admission = admission(r);
    if (admission.key().isPresent()) {
      Optional<IdempotencyKeys.Answer> first = keys.find(admission.key().get());
      if (first.isPresent()) {
        return CompletableFuture.completedFuture(replay(first.get(), true));
      }
    }
    SendRequest body = r.body(SendRequest.class);
    SendService.Envelope e = sender.envelope(body.channel(), body.message(), body.messageType(), body.ttl(),
        body.priority(), body.headers());
    Duration wait = null;
    if (body.waitFor() != null) {
      try {
        wait = Durations.parse(body.waitFor());
      } catch (IllegalArgumentException ex) {
        throw ApiException.invalid("wait: " + ex.getMessage());
      }
      if (wait.compareTo(config.maxSendWait()) > 0) {
        throw ApiException.invalid("wait must be at most " + Durations.format(config.maxSendWait()) + " (AEGIS_MAX_SEND_WAIT)");
      }
      if (!e.messageType().equals(io.aegis.protocol.MessageTypes.REQUEST)) {
        throw ApiException.invalid("wait is only for message_type request: only requests are answered");
      }
    }
    String agentId = r.path("agent_id");
    Optional<String> reason = approvals.reason(e.channel(), 1, false);
    if (reason.isPresent()) {
      if (wait != null) {
        throw ApiException.invalid("wait cannot be used on a send that needs approval (" + reason.get() + ")");
      }
      registry.get(agentId);
      return CompletableFuture.completedFuture(awaiting(r, "send", agentId, e.channel(), 1, reason.get(), admission));
    }
    return sendNow(agentId, e, wait, admission);
  }

  private CompletionStage<Reply> sendNow(String agentId, SendService.Envelope e, Duration wait,
                                         SendService.Admission admission) {
    return settled(sender.send(agentId, e, wait, admission).thenCompose(accepted -> {
      String status = accepted.deliveringNow() ? MessageQueue.SENT : "queued";
      String id = accepted.message().messageId();
      if (accepted.response() == null) {
        return CompletableFuture.completedFuture(Reply.accepted(new SendResponse(id, status, null, null)));
      }
      return accepted.response().thenApply(answer -> answer
          .map(json -> Reply.ok(new SendResponse(id, MessageQueue.DELIVERED, json, null)))
          .orElseGet(() -> Reply.accepted(new SendResponse(id, status, null, true))));
    }));
  }

  private CompletionStage<Reply> broadcast(ApiRequest r) {
    SendService.Admission admission = admission(r);
    if (admission.key().isPresent()) {
      Optional<IdempotencyKeys.Answer> first = keys.find(admission.key().get());
      if (first.isPresent()) {
        return CompletableFuture.completedFuture(replay(first.get(), false));
      }
    }
    BroadcastRequest body = r.body(BroadcastRequest.class);
    SendService.Envelope e = sender.envelope(body.channel(), body.message(), body.messageType(), body.ttl(),
        body.priority(), body.headers());
    List<String> targets = addressable(r.agentSelector(), recipients.resolve(body.target(), e.channel()));
    Optional<String> reason = approvals.reason(e.channel(), targets.size(), true);
    if (reason.isPresent()) {
      return CompletableFuture.completedFuture(awaiting(r, "broadcast", null, e.channel(), targets.size(),
          reason.get(), admission));
    }
    return broadcastNow(e, targets, Boolean.TRUE.equals(body.queueOffline()), admission);
  }

  private CompletionStage<Reply> broadcastNow(SendService.Envelope e, List<String> targets, boolean queueOffline,
                                              SendService.Admission admission) {
    Set<String> full = recipients.withFullQueue();
    return settled(recipients.connected(targets).thenCompose(connected ->
        sender.broadcast(e, targets, connected, queueOffline, full, admission,
            result -> new String(ApiJson.write(answer(result)), java.nio.charset.StandardCharsets.UTF_8)))
        .thenApply(result -> Reply.accepted(answer(result))));
  }

  /** The answer to a send or broadcast kept for approval: where to follow it. */
  record AwaitingApproval(String approvalId, String status, String reason, Instant expiresAt) {}

  private Reply awaiting(ApiRequest r, String kind, String agentId, String channel, int count, String reason,
                         SendService.Admission admission) {
    Approvals.Created created = approvals.create(kind, agentId, channel, count, reason, r.rawBody(), admission.key(),
        (io.aegis.server.api.Caller.Operator) r.caller());
    Approvals.Approval a = created.approval();
    Reply reply = Reply.accepted(new AwaitingApproval(a.approvalId(), a.status(), a.reason(), a.expiresAt()));
    return created.fresh() ? reply : reply.withHeader("Idempotent-Replayed", "true");
  }

  /**
   * Runs a send or broadcast a second operator approved, as its requester asked it (with the
   * requester's idempotency key and label selector): the answer is the one the request would
   * have had without approval.
   */
  CompletionStage<Reply> runApproved(Approvals.Approval a) {
    SendService.Admission admission = new SendService.Admission(a.idempotencyKey(),
        System.nanoTime() + config.requestDeadline().toNanos(), Optional.empty());
    byte[] body = a.request().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    if (a.kind().equals("send")) {
      SendRequest s = ApiJson.read(body, SendRequest.class);
      return sendNow(a.agentId(), sender.envelope(s.channel(), s.message(), s.messageType(), s.ttl(), s.priority(),
          s.headers()), null, admission);
    }
    BroadcastRequest b = ApiJson.read(body, BroadcastRequest.class);
    SendService.Envelope e = sender.envelope(b.channel(), b.message(), b.messageType(), b.ttl(), b.priority(),
        b.headers());
    return broadcastNow(e, addressable(a.requesterLabel(), recipients.resolve(b.target(), e.channel())),
        Boolean.TRUE.equals(b.queueOffline()), admission);
  }

  private static BroadcastResponse answer(SendService.BroadcastResult result) {
    return new BroadcastResponse(result.messageId(), result.sentTo(), result.queued(), result.failed(),
        new Counts(result.sentTo().size(), result.queued().size(), result.failed().size()));
  }

  /**
   * {@code POST /api/v1/messages}: up to {@value #MAX_BATCH} sends in one request and one group
   * commit, answered per item in order; a bad item (unknown agent, invalid field, full queue,
   * reused key) fails alone.
   */
  private CompletionStage<Reply> batch(ApiRequest r) {
    if (r.header(IdempotencyKeys.HEADER).isPresent()) {
      throw ApiException.badRequest("invalid_idempotency_key",
          "a batch takes an idempotency_key per item, not the Idempotency-Key header");
    }
    long deadline = deadline(r);
    JsonNode root = r.body(JsonNode.class);
    if (!root.isObject()) {
      throw new ApiException(400, "invalid_json", "the body must be a JSON object");
    }
    root.fieldNames().forEachRemaining(f -> {
      if (!f.equals("messages")) {
        throw ApiException.badRequest("unknown_field", "unknown field '" + f + "'; known: messages");
      }
    });
    JsonNode items = root.path("messages");
    if (!items.isArray() || items.isEmpty()) {
      throw ApiException.invalid("messages must be a non-empty array of sends");
    }
    if (items.size() > MAX_BATCH) {
      throw ApiException.tooLarge("a batch holds at most " + MAX_BATCH + " messages, not " + items.size());
    }
    BatchResult[] results = new BatchResult[items.size()];
    List<SendService.BatchItem> prepared = new ArrayList<>();
    List<Integer> positions = new ArrayList<>();
    for (int i = 0; i < items.size(); i++) {
      JsonNode node = items.get(i);
      try {
        BatchItemRequest it = ApiJson.read(node, BatchItemRequest.class);
        String agentError = it.agentId() == null ? "agent_id is required"
            : io.aegis.protocol.Identifiers.agentIdError(it.agentId());
        if (agentError != null) {
          throw ApiException.invalid("agent_id: " + agentError);
        }
        if (!r.mayAddress(it.agentId())) {
          throw ApiException.notFound("agent '" + it.agentId() + "' is not registered");
        }
        // A key already taken is found by its claim, in the transaction that would insert the
        // item (the item then inserts nothing and gets the first answer): no read per item first.
        Optional<IdempotencyKeys.Key> key = it.idempotencyKey() == null ? Optional.empty()
            : Optional.of(IdempotencyKeys.forItem(r, it.idempotencyKey(), ApiJson.write(node)));
        SendService.Envelope e = sender.envelope(it.channel(), it.message(), it.messageType(), it.ttl(),
            it.priority(), it.headers());
        if (approvals.reason(e.channel(), 1, false).isPresent()) {
          throw ApiException.conflict("approval_required", "channel '" + e.channel() + "' needs a second operator's "
              + "approval (AEGIS_APPROVAL_CHANNELS): send it alone with POST /api/v1/agents/{agent_id}/send");
        }
        prepared.add(new SendService.BatchItem(sender.prepare(it.agentId(), e), key));
        positions.add(i);
      } catch (ApiException refused) {
        results[i] = new BatchResult(null, null, null, new ItemError(refused.code(), refused.getMessage()));
      }
    }
    if (prepared.isEmpty()) {
      return CompletableFuture.completedFuture(Reply.ok(new BatchResponse(List.of(results))));
    }
    return settled(sender.sendBatch(prepared, deadline, r.audit()).thenApply(outcomes -> {
      for (int j = 0; j < outcomes.size(); j++) {
        SendService.BatchOutcome o = outcomes.get(j);
        results[positions.get(j)] = o.error() != null
            ? new BatchResult(null, null, null, new ItemError(o.error().code(), o.error().getMessage()))
            : o.replayed() != null ? replayed(o.replayed())
            : new BatchResult(o.inserted().messageId(), o.deliveringNow() ? MessageQueue.SENT : "queued", null, null);
      }
      return Reply.ok(new BatchResponse(List.of(results)));
    }));
  }

  private static BatchResult replayed(IdempotencyKeys.Answer first) {
    return new BatchResult(first.messageId(), ApiJson.tree(first.response().getBytes(
        java.nio.charset.StandardCharsets.UTF_8)).path("status").asText("queued"), true, null);
  }

  private Reply list(ApiRequest r) {
    String agentId = r.path("agent_id");
    registry.get(agentId);
    Optional<String> status = r.query("status");
    if (status.isPresent() && !STATUSES.contains(status.get())) {
      throw ApiException.invalid("status must be one of " + String.join(", ", new java.util.TreeSet<>(STATUSES)));
    }
    int limit = Paging.limit(r);
    Optional<Long> before = Paging.cursor(r, 1).map(p -> Paging.number(p.get(0)));
    List<Long> seqs = new ArrayList<>();
    List<MessageView> rows = queue.list(agentId, status, before, limit, seqs);
    boolean more = rows.size() > limit;
    List<MessageView> page = more ? rows.subList(0, limit) : rows;
    return Reply.ok(new MessageList(page, more ? Paging.encode(seqs.get(limit - 1)) : null));
  }

  private CompletionStage<Reply> cancel(ApiRequest r) {
    String id = r.path("message_id");
    MessageView view = addressable(r, id);
    Instant at = Instant.now();
    return batcher.submit(c -> queue.cancel(c, id, at)).thenApply(n -> {
      if (n == 0) {
        throw ApiException.conflict("not_cancellable", "message '" + id + "' is already " + view.status());
      }
      engine.cancelled(id, view.channel(), n);
      return Reply.ok(new Cancelled(id, n));
    });
  }

  /** Of a broadcast's targets, those a token may address (one restricted to a label: those carrying it). */
  private List<String> addressable(Optional<io.aegis.server.api.Caller.AgentSelector> selector, List<String> targets) {
    if (selector.isEmpty()) {
      return targets;
    }
    Set<String> labelled = recipients.labelled(selector.get().name(), selector.get().value());
    return targets.stream().filter(labelled::contains).toList();
  }

  /** The message, if it exists and is for an agent the caller may address (else 404, as if it did not exist). */
  private MessageView addressable(ApiRequest r, String id) {
    return queue.view(id).filter(v -> r.mayAddress(v.agentId())).orElseThrow(() -> notFound(id));
  }

  private static ApiException notFound(String id) {
    return ApiException.notFound("message '" + id + "' does not exist");
  }
}
