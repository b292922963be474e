package io.aegis.agent;

/**
 * Why an {@link AgentClient} stopped for good. A stopped client never reconnects; build a new one
 * (for {@link #REVOKED} and {@link #REPLACED}, only after an operator or the other instance has
 * been dealt with).
 */
public enum StopReason {
  /**
   * The gateway closed the session with 4003, or on HTTP polling answered 401
   * {@code token_revoked} (or refused a token and then a fresh authentication): the agent was
   * revoked (deactivated or deleted). Reconnecting would only be refused, so the client stops and
   * reports it; an operator must reactivate the agent first.
   */
  REVOKED,
  /**
   * The gateway closed the session with 4004, or on HTTP polling answered 409 {@code replaced}: a
   * newer connection (or HTTP session) of the same agent replaced this one. Another instance
   * holds the session, so this one stops instead of fighting over it.
   */
  REPLACED,
  /** The application called {@link AgentClient#close()}. */
  CLOSED
}
