package io.aegis.protocol;

import java.util.List;

/**
 * Why an agent refuses a backend message (the values of an ack's {@code rejected} map,
 * PROTOCOL.md §11.2). The first six are the failed checks of §10.1; an agent sends one of these,
 * and the gateway records any other value as {@link #OTHER} (keeping the agent's text in the
 * message's {@code error}).
 */
public final class RejectionReasons {
  private RejectionReasons() {}

  /** The command carries no signature block. */
  public static final String UNSIGNED = "unsigned";
  /** Its signer is not a pinned backend key. */
  public static final String UNKNOWN_SIGNER = "unknown_signer";
  /** Its signature does not verify. */
  public static final String BAD_SIGNATURE = "bad_signature";
  /** Its audience names another agent (or is a broadcast where none is allowed). */
  public static final String MISADDRESSED = "misaddressed";
  /** Its {@code expires_at} has passed. */
  public static final String EXPIRED = "expired";
  /** Its id was already accepted: a replayed command (an agent normally acks a repeat instead). */
  public static final String REPLAYED = "replayed";
  /** Verified, but its body is not what its type and channel require. */
  public static final String INVALID_BODY = "invalid_body";
  /** Verified, but the agent has no handler for its channel. */
  public static final String NO_HANDLER = "no_handler";
  /** Verified and handled, and the agent's code refused to act on it. */
  public static final String REFUSED_BY_HANDLER = "refused_by_handler";
  /** What the gateway records for a reason outside this list. */
  public static final String OTHER = "other";

  /** Every reason an agent may send, in the order PROTOCOL.md lists them. */
  public static final List<String> ALL = List.of(UNSIGNED, UNKNOWN_SIGNER, BAD_SIGNATURE, MISADDRESSED, EXPIRED,
      REPLAYED, INVALID_BODY, NO_HANDLER, REFUSED_BY_HANDLER);

  /** {@code reason} if it is one of {@link #ALL}, else {@link #OTHER}. */
  public static String normalize(String reason) {
    return ALL.contains(reason) ? reason : OTHER;
  }
}
