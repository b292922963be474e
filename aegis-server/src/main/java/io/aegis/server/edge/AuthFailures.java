package io.aegis.server.edge;


/**
 * Failed authentications by client address, of every kind (an operator or agent session token, an
 * enrollment token, {@code POST /api/v1/auth}, a WebSocket upgrade or handshake): an address may
 * fail {@code AEGIS_AUTH_FAILURE_RATE_LIMIT} times a second on average (bursts of twice that);
 * past it, its next attempts are refused with 429 (or an upgrade with 429) before any credential
 * is looked at, until its budget refills. Guessing tokens then costs an attacker time, and an
 * attacker's failures never count against another address: a client that knows an agent's id
 * cannot lock the agent out.
 *
 * <p>Thread-safe. A rate of 0 disables it.
 */
public final class AuthFailures {
  private final RateLimiter budget;

  public AuthFailures(double perSecond) {
    this.budget = new RateLimiter(perSecond, perSecond * 2, 100_000);
  }

  /** Whether {@code address} has failed too often to be heard now. */
  public boolean blocked(String address) {
    return budget.exhausted(address);
  }

  /** {@code address} failed to authenticate. */
  public void failed(String address) {
    budget.allow(address);
  }
}
