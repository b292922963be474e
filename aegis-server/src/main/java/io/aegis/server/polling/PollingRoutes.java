package io.aegis.server.polling;

import io.aegis.protocol.Identifiers;
import io.aegis.protocol.crypto.StrictBase64;
import io.aegis.protocol.http.HttpExchange;
import io.aegis.server.api.Access;
import io.aegis.server.api.ApiException;
import io.aegis.server.api.ApiRequest;
import io.aegis.server.api.ApiRouter;
import io.aegis.server.api.Reply;
import io.aegis.server.config.Durations;
import io.aegis.server.delivery.DeliveryEngine;
import io.vertx.core.http.HttpMethod;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The HTTP transport for agents that cannot hold a WebSocket (docs/PROTOCOL.md §17), all for the
 * agent itself, authenticated by its session token:
 *
 * <ul>
 *   <li>{@code GET /api/v1/agents/{agent_id}/messages/poll?wait=30s&max=100} — a long poll: the
 *       agent's due messages, sealed ({@link PollService}); a {@code wait} beyond
 *       {@code AEGIS_MAX_POLL_WAIT} is cut to it;</li>
 *   <li>{@code POST /api/v1/agents/{agent_id}/messages} — the agent's sealed records, processed as
 *       in a session; the answer carries the acks, responses and errors ({@link PostService});</li>
 *   <li>{@code POST /api/v1/agents/{agent_id}/messages/ack} — a plain-JSON acknowledgement.</li>
 * </ul>
 */
public final class PollingRoutes {
  static final int MAX_ACK_IDS = 1000;
  static final int MAX_REASON = 1024;

  /** The plain acknowledgement: {@code ids} delivered; {@code rejected} the ids refused, with reasons. */
  record PlainAck(List<String> ids, Map<String, String> rejected) {}

  record Acknowledged(int acknowledged) {}

  private final HttpSessions sessions;
  private final PollService polls;
  private final PostService posts;
  private final DeliveryEngine delivery;
  private final Duration maxWait;
  private final java.util.function.BooleanSupplier draining;

  PollingRoutes(HttpSessions sessions, PollService polls, PostService posts, DeliveryEngine delivery, Duration maxWait,
                java.util.function.BooleanSupplier draining) {
    this.draining = draining;
    this.sessions = sessions;
    this.polls = polls;
    this.posts = posts;
    this.delivery = delivery;
    this.maxWait = maxWait;
  }

  public void mount(ApiRouter api) {
    api.routeAsync(HttpMethod.GET, "/api/v1/agents/:agent_id/messages/poll", Access.SELF, this::poll);
    api.routeAsync(HttpMethod.POST, "/api/v1/agents/:agent_id/messages", Access.SELF, this::post);
    api.routeAsync(HttpMethod.POST, "/api/v1/agents/:agent_id/messages/ack", Access.SELF, this::ack);
  }

  private CompletionStage<Reply> poll(ApiRequest r) {
    if (draining.getAsBoolean()) {
      throw ApiException.unavailable("this node is draining; poll again (another node will answer)");
    }
    byte[] clientNonce;
    try {
      clientNonce = StrictBase64.decode(r.header(HttpExchange.CLIENT_NONCE_HEADER).orElseThrow(() ->
          ApiException.invalid(HttpExchange.CLIENT_NONCE_HEADER + " is required: canonical base64 of 32 fresh random "
              + "bytes")), HttpExchange.CLIENT_NONCE_LENGTH, HttpExchange.CLIENT_NONCE_HEADER);
    } catch (IllegalArgumentException e) {
      throw ApiException.invalid(HttpExchange.CLIENT_NONCE_HEADER + " must be canonical base64 of 32 bytes");
    }
    Duration wait = r.query("wait").map(w -> {
      try {
        return Durations.parse(w);
      } catch (IllegalArgumentException e) {
        throw ApiException.invalid("wait: " + e.getMessage());
      }
    }).orElse(Duration.ZERO);
    if (wait.compareTo(maxWait) > 0) {
      wait = maxWait; // a longer wait is no error: the agent cannot know the setting
    }
    int max = r.queryInt("max", 100, 1, HttpExchange.MAX_RECORDS);
    HttpSessions.Opened opened = sessions.open(r);
    return polls.poll(opened, clientNonce, wait, max, r::onClientGone)
        .whenComplete((body, err) -> opened.keys().close())
        .thenApply(body -> Reply.bytes(body, "application/json"));
  }

  private CompletionStage<Reply> post(ApiRequest r) {
    HttpSessions.Opened opened = sessions.open(r);
    try {
      return posts.post(opened, r.rawBody())
          .whenComplete((body, err) -> opened.keys().close())
          .thenApply(body -> Reply.bytes(body, "application/json"));
    } catch (RuntimeException e) {
      opened.keys().close();
      throw e;
    }
  }

  private CompletionStage<Reply> ack(ApiRequest r) {
    PlainAck body = r.body(PlainAck.class);
    Map<String, String> rejected = body.rejected() == null ? Map.of() : new LinkedHashMap<>(body.rejected());
    Set<String> ids = new LinkedHashSet<>(body.ids() == null ? List.of() : body.ids());
    ids.addAll(rejected.keySet());
    if (ids.isEmpty() || ids.size() > MAX_ACK_IDS) {
      throw ApiException.invalid("an acknowledgement names 1 to " + MAX_ACK_IDS + " message ids (ids and rejected)");
    }
    for (String id : ids) {
      String error = id == null ? "message id is null" : Identifiers.messageIdError(id);
      if (error != null) {
        throw ApiException.invalid("ids: " + error);
      }
    }
    for (String reason : rejected.values()) {
      if (reason == null || reason.length() > MAX_REASON) {
        throw ApiException.invalid("rejected: each reason is a string of at most " + MAX_REASON + " characters");
      }
    }
    return delivery.acknowledged(r.agentId(), List.copyOf(ids), rejected)
        .thenApply(n -> Reply.ok(new Acknowledged(n)));
  }
}
