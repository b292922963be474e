package io.aegis.protocol;

/**
 * A public or private key was refused: wrong length, malformed encoding, not a point on the
 * curve, or a point of small order. Unchecked: keys come from configuration or registration,
 * where the caller reports {@link #reason()} and {@link #getMessage()} to the operator.
 */
public final class InvalidKeyException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    /** Why a key was refused. */
    public enum Reason {
        /** Not 32 bytes (or not 64 hex / 44 base64 characters). */
        WRONG_LENGTH,
        /** The text or file is not well-formed (base64, PEM, DER). */
        MALFORMED,
        /** The encoding is not the unique canonical one (y ≥ p, or x = 0 with the sign bit set). */
        NON_CANONICAL,
        /** The bytes do not decode to a point on edwards25519. */
        NOT_ON_CURVE,
        /** The point has order 1, 2, 4 or 8 (the identity or another low-order point). */
        SMALL_ORDER,
        /** The point has a small-order component: it is not in the prime-order subgroup. */
        MIXED_ORDER
    }

    private final Reason reason;

    /** Creates an exception with a reason and a message naming the value and its rule. */
    public InvalidKeyException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    /** Why the key was refused. */
    public Reason reason() {
        return reason;
    }
}
