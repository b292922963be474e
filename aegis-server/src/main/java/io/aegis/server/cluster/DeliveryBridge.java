package io.aegis.server.cluster;

import io.aegis.server.delivery.DeliveryEngine;
import io.aegis.server.delivery.DeliveryRelay;
import io.aegis.server.delivery.QueuedMessage;
import java.util.List;

/**
 * Connects this node's delivery engine to the cluster: what the engine announces goes out as
 * {@link NodeEvents}, what the nodes announce comes back to the engine, and whether an agent is
 * reachable is for {@link Presence} to say, on whichever node its session is.
 */
final class DeliveryBridge implements DeliveryRelay, NodeEvents.Listener {
  private final DeliveryEngine engine;
  private final NodeEvents events;
  private final Presence presence;

  DeliveryBridge(DeliveryEngine engine, NodeEvents events, Presence presence) {
    this.engine = engine;
    this.events = events;
    this.presence = presence;
  }

  @Override
  public void committed(List<QueuedMessage> messages) {
    events.messagesCommitted(messages);
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
  public boolean reachable(String agentId) {
    return presence.locate(agentId).isPresent();
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
