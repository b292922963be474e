package io.aegis.server.api;

/** Who made an API request, established from its bearer token. */
public sealed interface Caller {

  /** No credentials (public endpoints: health, auth, enrollment, the OpenAPI document). */
  record Anonymous() implements Caller {}

  /** An operator or backend service holding an operator token. */
  record Operator(String tokenId) implements Caller {}

  /** An agent holding a session token from {@code POST /api/v1/auth} or its WebSocket session. */
  record Agent(String agentId) implements Caller {}

  Caller ANONYMOUS = new Anonymous();
}
