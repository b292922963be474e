package io.aegis.server.api;

/** Who may call an endpoint. Checked before the endpoint runs. */
public enum Access {
  /** Anyone; no token needed. */
  PUBLIC,
  /** Operators only. */
  OPERATOR,
  /**
   * Operators, or the agent named by the route's {@code agent_id} path parameter: an agent
   * reaches only its own resources.
   */
  OPERATOR_OR_SELF,
  /** Only the agent named by the route's {@code agent_id} path parameter (not operators: they never impersonate agents). */
  SELF,
  /**
   * Any operator or agent. For resources with no agent in their path (an artifact's content):
   * the endpoint itself decides what an agent may see, and answers 404 for what it may not.
   */
  AUTHENTICATED
}
