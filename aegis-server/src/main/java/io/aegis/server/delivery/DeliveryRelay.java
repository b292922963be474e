package io.aegis.server.delivery;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Where delivery's news goes beyond this node's {@link DeliveryEngine}: the seam through which delivery works in a cluster without knowing of one. The
 * cluster implements it (and calls back {@link DeliveryEngine#offer}, {@link DeliveryEngine#drop}
 * and {@link DeliveryEngine#answer} on the nodes that must act); {@link #local} keeps everything
 * on this node.
 *
 * <p>Implementations are thread-safe and never block.
 */
public interface DeliveryRelay {
  /**
   * Messages were committed to the queue: the nodes holding their agents deliver them now.
   * Completes with the agents whose session some node holds (a send to them answers "sent");
   * never fails.
   */
  CompletableFuture<Set<String>> committed(List<QueuedMessage> messages);

  /** Every undelivered copy of {@code messageId} was cancelled: no node sends it again. */
  void cancelled(String messageId);

  /** The agent's response to request {@code messageId} is stored: a send waiting for it answers. */
  void responseStored(String messageId, byte[] body);

  /** A relay for an engine alone: everything is acted on by the engine itself. */
  static DeliveryRelay local(DeliveryEngine engine) {
    return new DeliveryRelay() {
      @Override
      public CompletableFuture<Set<String>> committed(List<QueuedMessage> messages) {
        engine.offer(messages);
        Set<String> reached = new HashSet<>();
        messages.forEach(m -> {
          if (engine.deliversLocally(m.agentId())) {
            reached.add(m.agentId());
          }
        });
        return CompletableFuture.completedFuture(reached);
      }

      @Override
      public void cancelled(String messageId) {
        engine.drop(messageId);
      }

      @Override
      public void responseStored(String messageId, byte[] body) {
        engine.answer(messageId, body);
      }
    };
  }
}
