package io.aegis.server.delivery;

import io.aegis.protocol.SecureMessage;
import io.aegis.protocol.record.SignedCommand;
import java.util.Map;

/**
 * A live path to one agent on this node, through which an {@link AgentDispatcher} delivers: an
 * agent's WebSocket session. Delivery depends on this interface, never on the transport class, so
 * that the dispatcher can be driven (and tested) through any link.
 *
 * <p>A link belongs to one thread (its event loop): {@link #writable} and {@link #send} are called
 * only there, and other threads reach it through {@link #execute}.
 */
public interface AgentLink {
  /** The agent at the other end. */
  String agentId();

  /** Runs {@code task} on the link's thread. Any thread. */
  void execute(Runnable task);

  /**
   * Whether the link takes another record now; false once it is closed or while its write queue
   * is full (the link then tells delivery when it drains). Link thread only.
   */
  boolean writable();

  /**
   * Seals {@code command} for the agent and sends it. Link thread only.
   *
   * @return the record as sent, or null if the link is closed (nothing was sent)
   */
  SecureMessage send(SignedCommand command, Map<String, String> headers);

  /** Whether the link is open. Any thread. */
  boolean isOpen();
}
