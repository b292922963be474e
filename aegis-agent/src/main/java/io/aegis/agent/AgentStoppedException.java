package io.aegis.agent;

import java.util.Locale;
import java.util.Objects;

/**
 * The client has stopped (revoked, replaced or closed): the future of every message still
 * waiting for the gateway fails with this, and so does every later send.
 */
public final class AgentStoppedException extends AgentException {

  private static final long serialVersionUID = 1L;

  private final StopReason reason;

  /** Creates the exception for a stop reason. */
  public AgentStoppedException(StopReason reason) {
    super("agent client stopped: " + Objects.requireNonNull(reason, "reason").name().toLowerCase(Locale.ROOT));
    this.reason = reason;
  }

  /** Why the client stopped. */
  public StopReason reason() {
    return reason;
  }
}
