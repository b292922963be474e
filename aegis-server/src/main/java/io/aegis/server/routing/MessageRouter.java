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
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes what agents send inside their sessions:
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
 * Every message gets an answer ({@code ack}, {@code response} or {@code error}); none is dropped
 * silently and none can take the router down. Thread-safe.
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
    delivery.sessionOpened(session);
    sessionListeners.forEach(l -> l.onOpen(session));
  }

  @Override
  public void onClose(AgentSession session, int code) {
    delivery.sessionClosed(session);
    channelsUsed.remove(session.agentId());
    sessionListeners.forEach(l -> l.onClose(session, code));
  }

  @Override
  public void onWritable(AgentSession session) {
    delivery.writable(session);
  }

  @Override
  public void onRecord(AgentSession session, OpenedRecord r) {
    try {
      switch (r.type()) {
        case MessageTypes.ACK -> onAck(session, r);
        case MessageTypes.SUBSCRIBE -> onSubscribe(session, r, true);
        case MessageTypes.UNSUBSCRIBE -> onSubscribe(session, r, false);
        case MessageTypes.RESPONSE -> onResponse(session, r);
        case MessageTypes.EVENT, MessageTypes.REQUEST -> onData(session, r);
        default -> throw new ApiException(400, "unsupported_type", "agents cannot send records of type '" + r.type() + "'");
      }
    } catch (ApiException e) {
      session.sendError(r.id(), e.code(), e.getMessage());
    }
  }

  private void onAck(AgentSession session, OpenedRecord r) {
    requireControl(r);
    JsonNode body = body(r);
    JsonNode ids = body.path("ids");
    if (!ids.isArray()) {
      throw ApiException.badRequest("invalid_body", "an ack carries {\"ids\": [message ids]}");
    }
    List<String> list = new ArrayList<>(ids.size());
    ids.forEach(id -> list.add(id.asText()));
    Map<String, String> rejected = new LinkedHashMap<>();
    body.path("rejected").fields().forEachRemaining(e -> rejected.put(e.getKey(), e.getValue().asText()));
    delivery.acknowledged(session, list, rejected);
  }

  private void onSubscribe(AgentSession session, OpenedRecord r, boolean active) {
    requireControl(r);
    JsonNode channels = body(r).path("channels");
    if (!channels.isArray() || channels.isEmpty() || channels.size() > MAX_CHANNELS_PER_SUBSCRIBE) {
      throw ApiException.badRequest("invalid_body",
          "a subscription carries {\"channels\": [1 to " + MAX_CHANNELS_PER_SUBSCRIBE + " channel names]}");
    }
    List<String> names = new ArrayList<>();
    for (JsonNode c : channels) {
      String name = c.asText();
      String error = Identifiers.channelError(name);
      if (error != null || name.equals(Protocol.CONTROL_CHANNEL)) {
        throw ApiException.badRequest("invalid_channel", error != null ? error : "channel 'control' cannot be subscribed to");
      }
      names.add(name);
    }
    batcher.submit(c -> {
      subscriptions.set(c, session.agentId(), names, active);
      return null;
    }).whenComplete((ok, err) -> session.execute(() -> {
      if (err != null) {
        session.sendError(r.id(), "unavailable", "the subscription could not be stored; retry");
      } else {
        ack(session, r.id());
      }
    }));
  }

  private void onResponse(AgentSession session, OpenedRecord r) {
    String inReplyTo = r.headers().get("in-reply-to");
    if (inReplyTo == null) {
      throw ApiException.badRequest("invalid_response", "a response needs an in-reply-to header naming the request");
    }
    delivery.responded(session, inReplyTo, r.body(), () -> ack(session, r.id()));
  }

  private void onData(AgentSession session, OpenedRecord r) {
    ChannelHandler handler = handlers.get(r.channel());
    if (handler == null) {
      throw new ApiException(404, "unknown_channel", "no handler for channel '" + r.channel() + "'");
    }
    AgentMessage message = new AgentMessage(session.agentId(), r.id(), r.type(), r.channel(), r.headers(), body(r));
    boolean event = r.type().equals(MessageTypes.EVENT);
    // An agent resends an event whose ack it did not get (its session ended first): store it once.
    if (event && !recentEvents.add(session.agentId(), r.id())) {
      ack(session, r.id());
      return;
    }
    boolean firstUse = channelsUsed.computeIfAbsent(session.agentId(), k -> ConcurrentHashMap.newKeySet()).add(r.channel());
    worker.<JsonNode>executeBlocking(() -> {
      if (firstUse) {
        batcher.submit(c -> {
          subscriptions.recordUse(c, session.agentId(), r.channel());
          return null;
        });
      }
      return handler.handle(message);
    }, false).onComplete(ar -> session.execute(() -> {
      if (ar.failed()) {
        if (event) {
          recentEvents.remove(session.agentId(), r.id());
        }
        Throwable t = ar.cause();
        if (t instanceof ApiException e) {
          session.sendError(r.id(), e.code(), e.getMessage());
        } else {
          String incident = UUID.randomUUID().toString();
          log.error("agent_id={} channel={} handler failed (incident {})", session.agentId(), r.channel(), incident, t);
          session.sendError(r.id(), "internal_error", "the message could not be handled (incident " + incident + ")");
        }
      } else if (r.type().equals(MessageTypes.REQUEST)) {
        JsonNode answer = ar.result() == null ? ApiJson.MAPPER.createObjectNode() : ar.result();
        session.sendUnsigned(UUID.randomUUID().toString(), MessageTypes.RESPONSE, r.channel(),
            Map.of("in-reply-to", r.id()), ApiJson.write(answer));
      } else {
        ack(session, r.id());
      }
    }));
  }

  private static void ack(AgentSession session, String id) {
    byte[] body = ApiJson.write(ApiJson.MAPPER.createObjectNode().set("ids", ApiJson.MAPPER.createArrayNode().add(id)));
    session.sendUnsigned(UUID.randomUUID().toString(), MessageTypes.ACK, Protocol.CONTROL_CHANNEL, Map.of(), body);
  }

  private static void requireControl(OpenedRecord r) {
    if (!r.channel().equals(Protocol.CONTROL_CHANNEL)) {
      throw ApiException.badRequest("invalid_channel", "'" + r.type() + "' records travel on channel 'control'");
    }
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
