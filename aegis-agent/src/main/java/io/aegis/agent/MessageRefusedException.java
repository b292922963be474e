package io.aegis.agent;

/**
 * The gateway refused a message the agent sent: it answered with an {@code error} record
 * (channel {@code control}, header {@code in-reply-to}) whose body is {@code {"code","message"}}.
 * For example an unknown channel, a subscription to a channel the agent may not read, or a
 * missing signature when the gateway's policy requires one. Resending the same message would
 * be refused again.
 */
public final class MessageRefusedException extends AgentException {

  private static final long serialVersionUID = 1L;

  private final String messageId;
  private final String code;

  /** Creates the exception for the refused message {@code messageId}. */
  public MessageRefusedException(String messageId, String code, String message) {
    super("gateway refused message " + messageId + ": " + code + (message == null || message.isEmpty() ? "" : ": " + message));
    this.messageId = messageId;
    this.code = code;
  }

  /** The id of the refused message. */
  public String messageId() {
    return messageId;
  }

  /** The gateway's error code, for example {@code unknown_channel}. */
  public String code() {
    return code;
  }
}
