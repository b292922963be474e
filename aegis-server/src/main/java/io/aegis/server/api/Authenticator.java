package io.aegis.server.api;

/** Turns a bearer token into a caller. Blocking (it may consult the store). */
@FunctionalInterface
public interface Authenticator {
  /** @throws ApiException 401 when the token is unknown, expired or revoked */
  Caller authenticate(String bearerToken);
}
