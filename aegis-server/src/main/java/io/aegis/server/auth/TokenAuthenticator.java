package io.aegis.server.auth;

import io.aegis.server.api.ApiException;
import io.aegis.server.api.Authenticator;
import io.aegis.server.api.Caller;

/**
 * Resolves operator tokens and agent session tokens; anything else is a 401 {@code unauthorized}.
 * An agent session token that is no longer live gets the answer its state calls for
 * ({@link AgentSessions.TokenState#refusal()}): 401 {@code token_revoked} once its agent was
 * deactivated, 409 {@code replaced} once a newer HTTP session of the agent replaced it, else 401
 * {@code unauthorized}.
 */
public final class TokenAuthenticator implements Authenticator {
  private final OperatorTokens operators;
  private final AgentSessions sessions;

  public TokenAuthenticator(OperatorTokens operators, AgentSessions sessions) {
    this.operators = operators;
    this.sessions = sessions;
  }

  @Override
  public Caller authenticate(String token) {
    if (token.startsWith(Tokens.SESSION)) {
      AgentSessions.Check check = sessions.check(token);
      return check.live().<Caller>map(live -> new Caller.Agent(live.agentId()))
          .orElseThrow(() -> check.state().refusal());
    }
    return operators.lookup(token).<Caller>map(op -> op)
        .orElseThrow(() -> ApiException.unauthorized("the token is unknown or revoked"));
  }
}
