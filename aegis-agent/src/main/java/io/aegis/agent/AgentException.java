package io.aegis.agent;

/**
 * Base class of the failures the agent SDK reports through futures and
 * {@link Listener#error(Throwable)}.
 */
public class AgentException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** Creates an exception with a message. */
  public AgentException(String message) {
    super(message);
  }

  /** Creates an exception with a message and a cause. */
  public AgentException(String message, Throwable cause) {
    super(message, cause);
  }
}
