package io.aegis.protocol.record;

/**
 * A record could not be sealed or opened. After any failure to open, the channel is dead: every
 * later call fails with {@link Reason#CLOSED}, and the caller closes the connection with
 * {@link io.aegis.protocol.CloseCode#PROTOCOL_VIOLATION} (4006), or 1009 for
 * {@link Reason#TOO_LARGE}.
 */
public final class RecordException extends Exception {

    private static final long serialVersionUID = 1L;

    /** Why a record failed; for logs and metrics, never sent to the peer. */
    public enum Reason {
        /** The channel already failed or was closed. */
        CLOSED,
        /** The frame exceeds the configured maximum size. */
        TOO_LARGE,
        /** The frame is not a well-formed envelope. */
        MALFORMED,
        /** The envelope's nonce is not the one of the next expected sequence number (replay, reorder, drop, reflection). */
        NONCE_MISMATCH,
        /** The payload is not canonical base64 or is too short. */
        BAD_PAYLOAD,
        /** The AEAD tag did not verify (a changed byte, a wrong key, a changed header). */
        DECRYPT_FAILED,
        /** The plaintext is malformed (unknown flags, truncated signature block, bad audience). */
        BAD_PLAINTEXT,
        /** A control record ({@code session}, {@code key_update}) is malformed or out of place. */
        BAD_CONTROL,
        /** A sequence or epoch limit was reached; the connection must be replaced. */
        LIMIT
    }

    private final Reason reason;

    /** Creates an exception with a reason and a message for the log. */
    public RecordException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    /** Creates an exception with a reason, a message and a cause. */
    public RecordException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    /** Why the record failed. */
    public Reason reason() {
        return reason;
    }
}
