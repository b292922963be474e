package io.aegis.server.routing;

import com.fasterxml.jackson.databind.JsonNode;
import io.aegis.protocol.Identifiers;
import io.aegis.protocol.MessageTypes;
import io.aegis.protocol.Protocol;
import io.aegis.protocol.record.OpenedRecord;
import io.aegis.server.api.ApiException;
import io.aegis.server.api.ApiJson;
import io.aegis.server.delivery.DeliveryEngine;
import io.aegis.server.gateway.AgentSession;
import io.aegis.server.gateway.SessionHandler;
import io.aegis.server.store.WriteBatcher;
import io.vertx.core.WorkerExecutor;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes what agents send, inside their sessions or in HTTP posts ({@link #handle}, shared by
 * both transports):
 *
 * <ul>
 *   <li>{@code ack} (channel {@code control}) → delivery: the agent has the messages;
 *   <li>{@code subscribe} / {@code unsubscribe} (channel {@code control}) → channel subscriptions;
 *   <li>{@code response} with an {@code in-reply-to} header → delivery: the answer to a request;
 *   <li>{@code event} and {@code request} → the {@link ChannelHandler} registered for the channel
 *       ({@code events}, {@code policy}, {@code artifacts} built in);
 *   <li>anything else, or a channel nobody handles → an {@code error} record to the agent.
 * </ul>
 *
 * Every message but an ack gets an answer ({@code ack}, {@code response} or {@code error}), which
 * the transport seals back to the agent; none is dropped silently and none can take the router
 * down. Thread-safe.
 */
public final class MessageRouter implements SessionHandler {
  private static final Logger log = LoggerFactory.getLogger(MessageRouter.class);
  static final int MAX_CHANNELS_PER_SUBSCRIBE = 256;

  private final DeliveryEngine delivery;
  private final Subscriptions subscriptions;
  private final WriteBatcher batcher;
  private final WorkerExecutor worker;
  private final Map<String, ChannelHandler> handlers = new ConcurrentHashMap<>();
  private final List<SessionHandler> sessionListeners = new CopyOnWriteArrayList<>();
  private final Map<String, Set<String>> channelsUsed = new ConcurrentHashMap<>();
  private final RecentIds recentEvents = new RecentIds(50_000);

  public MessageRouter(DeliveryEngine delivery, Subscriptions subscriptions, WriteBatcher batcher, WorkerExecutor worker) {
    this.delivery = delivery;
    this.subscriptions = subscriptions;
    this.batcher = batcher;
    this.worker = worker;
  }

  /** Routes agent {@code event}s and {@code request}s on {@code channel} to {@code handler}. */
  public void register(String channel, ChannelHandler handler) {
    Identifiers.requireChannel(channel);
    if (channel.equals(Protocol.CONTROL_CHANNEL)) {
      throw new IllegalArgumentException("channel 'control' belongs to the protocol");
    }
    handlers.put(channel, handler);
  }

  /** Also tells {@code listener} of sessions opening and closing (live policy and artifact push). */
  public void addSessionListener(SessionHandler listener) {
    sessionListeners.add(listener);
  }

  @Override
  public void onOpen(AgentSession session) {
    delivery.opened(session);
    sessionListeners.forEach(l -> l.onOpen(session));
  }

  @Override
  public void onClose(AgentSession session, int code) {
    delivery.closed(session);
    channelsUsed.remove(session.agentId());
    sessionListeners.forEach(l -> l.onClose(session, code));
  }

  @Override
  public void onWritable(AgentSession session) {
    delivery.writable(session);
  }

  @Override
  public void onRecord(AgentSession session, OpenedRecord r) {
    handle(sessionOrigin(session), r).thenAccept(reply -> reply.ifPresent(a ->
        session.execute(() -> session.sendUnsigned(a.id(), a.type(), a.channel(), a.headers(), a.body()))));
  }

  /** Records of a live session: acks and responses go to the session's dispatcher. */
  public AgentOrigin sessionOrigin(AgentSession session) {
    return new AgentOrigin() {
      @Override
      public String agentId() {
        return session.agentId();
      }

      @Override
      public CompletableFuture<Void> acknowledged(List<String> ids, Map<String, String> rejected) {
        delivery.acknowledged(session, ids, rejected);
        return CompletableFuture.completedFuture(null);
      }

      @Override
      public CompletableFuture<Void> responded(String messageId, byte[] body) {
        return delivery.responded(session, messageId, body);
      }
    };
  }

  /** Records that did not come through a session on this node (the HTTP transport). */
  public AgentOrigin detachedOrigin(String agentId) {
    return new AgentOrigin() {
      @Override
      public String agentId() {
        return agentId;
      }

      @Override
      public CompletableFuture<Void> acknowledged(List<String> ids, Map<String, String> rejected) {
        return delivery.acknowledged(agentId, ids, rejected).thenApply(n -> null);
      }

      @Override
      public CompletableFuture<Void> responded(String messageId, byte[] body) {
        return delivery.respondedElsewhere(agentId, messageId, body);
      }
    };
  }

  /**
   * Handles one opened record of an agent, whatever its transport, once the transport has applied
   * the agent-signature policy. Completes with the record to answer it with ({@code ack},
   * {@code response} or {@code error}), or empty for an {@code ack} (acks are not answered). Never
   * completes exceptionally: every failure is an {@code error} answer.
   */
  public CompletableFuture<Optional<AgentReply>> handle(AgentOrigin origin, OpenedRecord r) {
    try {
      return switch (r.type()) {
        case MessageTypes.ACK -> onAck(origin, r);
        case MessageTypes.SUBSCRIBE -> onSubscribe(origin, r, true);
        case MessageTypes.UNSUBSCRIBE -> onSubscribe(origin, r, false);
        case MessageTypes.RESPONSE -> onResponse(origin, r);
        case MessageTypes.EVENT, MessageTypes.REQUEST -> onData(origin, r);
        default -> throw new ApiException(400, "unsupported_type", "agents cannot send records of type '" + r.type() + "'");
      };
    } catch (ApiException e) {
      return answer(AgentReply.error(r.id(), e.code(), e.getMessage()));
    }
  }

  private CompletableFuture<Optional<AgentReply>> onAck(AgentOrigin origin, OpenedRecord r) {
    requireControl(r);
    JsonNode body = object(r, "ids", "rejected");
    JsonNode ids = body.path("ids");
    if (!ids.isArray()) {
      throw ApiException.badRequest("invalid_body", "an ack carries {\"ids\": [message ids]}");
    }
    List<String> list = new ArrayList<>(ids.size());
    for (JsonNode id : ids) {
      list.add(text(id, "ids[]", Identifiers.messageIdError(id.isTextual() ? id.asText() : "")));
    }
    Map<String, String> rejected = new LinkedHashMap<>();
    JsonNode refusals = body.path("rejected");
    if (!refusals.isMissingNode()) {
      if (!refusals.isObject()) {
        throw ApiException.badRequest("invalid_body", "rejected must be an object of message id to reason");
      }
      refusals.fields().forEachRemaining(e -> rejected.put(e.getKey(), text(e.getValue(), "rejected." + e.getKey(), null)));
    }
    return origin.acknowledged(list, rejected).handle((ok, err) -> {
      if (err != null) {
        log.warn("agent_id={} cannot record an ack: {}", origin.agentId(), err.getMessage());
      }
      return Optional.empty();
    });
  }

  private CompletableFuture<Optional<AgentReply>> onSubscribe(AgentOrigin origin, OpenedRecord r, boolean active) {
    requireControl(r);
    JsonNode channels = object(r, "channels").path("channels");
    if (!channels.isArray() || channels.isEmpty() || channels.size() > MAX_CHANNELS_PER_SUBSCRIBE) {
      throw ApiException.badRequest("invalid_body",
          "a subscription carries {\"channels\": [1 to " + MAX_CHANNELS_PER_SUBSCRIBE + " channel names]}");
    }
    List<String> names = new ArrayList<>();
    for (JsonNode c : channels) {
      if (!c.isTextual()) {
        throw ApiException.badRequest("invalid_body", "channels must hold strings, not " + c.getNodeType().name().toLowerCase());
      }
      String name = c.asText();
      String error = Identifiers.channelError(name);
      if (error != null || name.equals(Protocol.CONTROL_CHANNEL)) {
        throw ApiException.badRequest("invalid_channel", error != null ? error : "channel 'control' cannot be subscribed to");
      }
      names.add(name);
    }
    return batcher.submit(c -> {
      subscriptions.set(c, origin.agentId(), names, active);
      return null;
    }).handle((ok, err) -> Optional.of(err != null
        ? AgentReply.error(r.id(), "unavailable", "the subscription could not be stored; retry")
        : AgentReply.ack(r.id())));
  }

  private CompletableFuture<Optional<AgentReply>> onResponse(AgentOrigin origin, OpenedRecord r) {
    String inReplyTo = r.headers().get("in-reply-to");
    if (inReplyTo == null) {
      throw ApiException.badRequest("invalid_response", "a response needs an in-reply-to header naming the request");
    }
    return origin.responded(inReplyTo, r.body()).handle((ok, err) -> Optional.of(err != null
        ? AgentReply.error(r.id(), "unavailable", "the response could not be stored; retry")
        : AgentReply.ack(r.id())));
  }

  private CompletableFuture<Optional<AgentReply>> onData(AgentOrigin origin, OpenedRecord r) {
    ChannelHandler handler = handlers.get(r.channel());
    if (handler == null) {
      throw new ApiException(404, "unknown_channel", "no handler for channel '" + r.channel() + "'");
    }
    String agentId = origin.agentId();
    AgentMessage message = new AgentMessage(agentId, r.id(), r.type(), r.channel(), r.headers(), body(r));
    boolean event = r.type().equals(MessageTypes.EVENT);
    // An agent resends an event whose ack it did not get (its session or post answer was lost): store it once.
    if (event && !recentEvents.add(agentId, r.id())) {
      return answer(AgentReply.ack(r.id()));
    }
    boolean firstUse = channelsUsed.computeIfAbsent(agentId, k -> ConcurrentHashMap.newKeySet()).add(r.channel());
    return worker.<JsonNode>executeBlocking(() -> {
      if (firstUse) {
        batcher.submit(c -> {
          subscriptions.recordUse(c, agentId, r.channel());
          return null;
        });
      }
      return handler.handle(message);
    }, false).toCompletionStage().toCompletableFuture().handle((result, t) -> {
      if (t != null) {
        if (event) {
          recentEvents.remove(agentId, r.id());
        }
        Throwable cause = t instanceof java.util.concurrent.CompletionException && t.getCause() != null ? t.getCause() : t;
        if (cause instanceof ApiException e) {
          return Optional.of(AgentReply.error(r.id(), e.code(), e.getMessage()));
        }
        String incident = UUID.randomUUID().toString();
        log.error("agent_id={} channel={} handler failed (incident {})", agentId, r.channel(), incident, cause);
        return Optional.of(AgentReply.error(r.id(), "internal_error",
            "the message could not be handled (incident " + incident + ")"));
      }
      if (r.type().equals(MessageTypes.REQUEST)) {
        JsonNode answer = result == null ? ApiJson.MAPPER.createObjectNode() : result;
        return Optional.of(AgentReply.response(r.channel(), r.id(), ApiJson.write(answer)));
      }
      return Optional.of(AgentReply.ack(r.id()));
    });
  }

  private static CompletableFuture<Optional<AgentReply>> answer(AgentReply reply) {
    return CompletableFuture.completedFuture(Optional.of(reply));
  }

  private static void requireControl(OpenedRecord r) {
    if (!r.channel().equals(Protocol.CONTROL_CHANNEL)) {
      throw ApiException.badRequest("invalid_channel", "'" + r.type() + "' records travel on channel 'control'");
    }
  }

  /**
   * The body of a control record: a JSON object with no fields but {@code allowed}. A field of the
   * wrong JSON type is refused, never coerced (PROTOCOL.md §3.1).
   */
  private static JsonNode object(OpenedRecord r, String... allowed) {
    JsonNode n = body(r);
    if (!n.isObject()) {
      throw ApiException.badRequest("invalid_body", "the record body must be a JSON object");
    }
    java.util.Set<String> known = java.util.Set.of(allowed);
    n.fieldNames().forEachRemaining(f -> {
      if (!known.contains(f)) {
        throw ApiException.badRequest("unknown_field", "unknown field '" + f + "' in a '" + r.type() + "' record");
      }
    });
    return n;
  }

  /** {@code n} as a string, refused (not coerced) if it is another JSON type or breaks its rule. */
  private static String text(JsonNode n, String field, String ruleError) {
    if (!n.isTextual()) {
      throw ApiException.badRequest("invalid_body", field + " must be a string, not " + n.getNodeType().name().toLowerCase());
    }
    if (ruleError != null) {
      throw ApiException.badRequest("invalid_body", field + ": " + ruleError);
    }
    return n.asText();
  }

  private static JsonNode body(OpenedRecord r) {
    try {
      JsonNode n = ApiJson.MAPPER.readTree(r.body());
      return n == null ? ApiJson.MAPPER.createObjectNode() : n;
    } catch (IOException e) {
      throw ApiException.badRequest("invalid_body", "the record body is not JSON");
    }
  }
}
