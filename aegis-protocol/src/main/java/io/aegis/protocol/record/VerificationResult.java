package io.aegis.protocol.record;

/**
 * Outcome of checking a record's signature block. A value, not an exception: the caller decides
 * (an agent drops a refused command and reports it; the backend applies its signing policy).
 */
public enum VerificationResult {
    /** Signature valid, addressed to the verifier, not expired, not seen before. */
    ACCEPTED,
    /** The record has no signature block. */
    UNSIGNED,
    /** The signer key id is not a pinned backend key (or not the agent's registered key). */
    UNKNOWN_SIGNER,
    /** The signature does not verify. */
    BAD_SIGNATURE,
    /** The audience names another agent, or the wrong kind of recipient. */
    MISADDRESSED,
    /** {@code expires_at} is not 0 and not after now (or, for agent messages, not 0). */
    EXPIRED,
    /** The message id was already accepted (a replayed command). */
    REPLAYED;

    /** True only for {@link #ACCEPTED}. */
    public boolean accepted() {
        return this == ACCEPTED;
    }
}
