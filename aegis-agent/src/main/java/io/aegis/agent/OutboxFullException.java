package io.aegis.agent;

/**
 * A send was refused at once because the outbox already holds
 * {@link AgentClientBuilder#outboxCapacity(int)} messages that the gateway has not yet
 * acknowledged (for example while the agent is offline). Nothing was queued; the caller may
 * retry later, drop the message, or keep it in its own storage.
 */
public final class OutboxFullException extends AgentException {

  private static final long serialVersionUID = 1L;

  private final int capacity;

  /** Creates the exception for an outbox of {@code capacity} messages. */
  public OutboxFullException(int capacity) {
    super("outbox is full: " + capacity + " messages are waiting for the gateway's acknowledgement");
    this.capacity = capacity;
  }

  /** The outbox capacity that was reached. */
  public int capacity() {
    return capacity;
  }
}
