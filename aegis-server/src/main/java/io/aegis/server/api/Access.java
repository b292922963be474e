package io.aegis.server.api;

/**
 * Who may call an endpoint, and with which operator scope. Checked before the endpoint runs.
 *
 * @param who the kind of caller the route admits
 * @param scope the scope an operator token needs (null where operators are not admitted)
 * @param appliesSelector whether the endpoint limits what it reaches to the agents an operator token
 *     with a label selector may address (routes with an {@code agent_id} path parameter are
 *     checked by the router; any other route refuses such a token unless it is selective)
 */
public record Access(Who who, Scope scope, boolean appliesSelector) {

  public enum Who {
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

  public static final Access PUBLIC = new Access(Who.PUBLIC, null, false);
  public static final Access SELF = new Access(Who.SELF, null, false);

  public static Access operator(Scope scope) {
    return new Access(Who.OPERATOR, scope, false);
  }

  public static Access operatorOrSelf(Scope scope) {
    return new Access(Who.OPERATOR_OR_SELF, scope, false);
  }

  public static Access authenticated(Scope scope) {
    return new Access(Who.AUTHENTICATED, scope, false);
  }

  /** The same access, on an endpoint that applies a token's label selector itself. */
  public Access selective() {
    return new Access(who, scope, true);
  }
}
