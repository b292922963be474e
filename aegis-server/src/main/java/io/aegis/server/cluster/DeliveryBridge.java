package io.aegis.server.cluster;

import io.aegis.server.delivery.DeliveryEngine;
import io.aegis.server.delivery.DeliveryRelay;
import io.aegis.server.delivery.QueuedMessage;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Connects this node's delivery engine to the cluster: what the engine announces goes out as
 * {@link NodeEvents}, and what the nodes announce comes back to the engine.
 */
final class DeliveryBridge implements DeliveryRelay, NodeEvents.Listener {
  private final DeliveryEngine engine;
  private final NodeEvents events;

  DeliveryBridge(DeliveryEngine engine, NodeEvents events) {
    this.engine = engine;
    this.events = events;
  }

  @Override
  public CompletableFuture<Set<String>> committed(List<QueuedMessage> messages) {
    return events.messagesCommitted(messages);
  }

  @Override
  public void cancelled(String messageId) {
    events.messageCancelled(messageId);
  }

  @Override
  public void responseStored(String messageId, byte[] body) {
    events.responseStored(messageId, body);
  }

  @Override
  public void onMessagesCommitted(List<QueuedMessage> messages) {
    engine.offer(messages);
  }

  @Override
  public void onMessageCancelled(String messageId) {
    engine.drop(messageId);
  }

  @Override
  public void onResponseStored(String messageId, byte[] body) {
    engine.answer(messageId, body);
  }
}
