package io.aegis.server.auth;

import io.aegis.server.api.ApiException;
import io.aegis.server.api.Authenticator;
import io.aegis.server.api.Caller;

/** Resolves operator tokens and agent session tokens; anything else is a 401. */
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
      return sessions.lookup(token).<Caller>map(Caller.Agent::new)
          .orElseThrow(() -> ApiException.unauthorized("the session token is unknown, expired or revoked"));
    }
    return operators.lookup(token).<Caller>map(Caller.Operator::new)
        .orElseThrow(() -> ApiException.unauthorized("the token is unknown or revoked"));
  }
}
