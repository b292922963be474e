package io.aegis.server.gateway;

import io.aegis.protocol.record.OpenedRecord;

/**
 * What the rest of the gateway does with sessions: the message router and the delivery engine
 * implement it. Every method is called on the session's event loop and must not block.
 */
public interface SessionHandler {
  /** The session is authenticated and its session record has been sent. */
  default void onOpen(AgentSession session) {}

  /**
   * An application record arrived (handshake, key updates and pings never reach here). The
   * record's signature, if any, has already been checked against the agent's policy.
   */
  default void onRecord(AgentSession session, OpenedRecord record) {}

  /** The session's write queue drained after being full: it can take more messages. */
  default void onWritable(AgentSession session) {}

  /** The session closed with {@code code} (after {@link #onOpen}). */
  default void onClose(AgentSession session, int code) {}

  /** The null object: a gateway with no router. */
  SessionHandler NONE = new SessionHandler() {};
}
