package io.aegis.server.policy;

/**
 * What changed about a policy, reported to {@link PolicyStore#onChange} listeners after the
 * change committed. Which agents it affects is for the listener to work out (through
 * {@link PolicyStore#effectivePolicies}).
 *
 * @param version the policy's latest version after the change; for {@link Kind#DELETED} the last
 *     version it had
 */
public record PolicyChange(String name, int version, Kind kind) {

  /** The kinds of change that can alter an agent's effective policies. */
  public enum Kind {
    /** A new version was stored. */
    VERSION_CREATED,
    /** An assignment was added or removed. */
    ASSIGNMENTS_CHANGED,
    /** The policy and its assignments were removed. */
    DELETED
  }
}
