package io.aegis.protocol.handshake;

import io.aegis.protocol.CloseCode;

/**
 * The handshake failed. {@link #reason()} and the message are for the local log only: the
 * gateway answers every failure with the same frame ({@link ServerHandshake#FAILURE_FRAME}) and
 * close code 4001, so a peer learns nothing about which check failed. After a failure the
 * handshake object refuses every further call.
 */
public final class HandshakeException extends Exception {

    private static final long serialVersionUID = 1L;

    /** Which check failed; for logs and metrics, never for the peer. */
    public enum Reason {
        /** A frame is not the expected JSON object (syntax, fields, lengths, size). */
        MALFORMED,
        /** A message arrived out of order, twice, or after the handshake ended or failed. */
        UNEXPECTED_MESSAGE,
        /** The version is not 1. */
        UNSUPPORTED_VERSION,
        /** The suite is not the v1 suite. */
        UNSUPPORTED_SUITE,
        /** The agent id breaks its syntax rule. */
        INVALID_AGENT_ID,
        /** The client_hello timestamp is outside the allowed clock skew. */
        CLOCK_SKEW,
        /** The agent is unknown or inactive (the lookup returned nothing). */
        UNKNOWN_AGENT,
        /** The agent's public key differs from its registered key. */
        KEY_MISMATCH,
        /** An ephemeral X25519 value is one of the low-order points. */
        LOW_ORDER_EPHEMERAL,
        /** The X25519 shared secret is all zeros. */
        ZERO_SHARED_SECRET,
        /** A sealed handshake field failed authentication. */
        DECRYPT_FAILED,
        /** The gateway signed with a key id the agent has not pinned. */
        UNKNOWN_BACKEND_KEY,
        /** A transcript signature does not verify. */
        BAD_SIGNATURE,
        /** The gateway answered with the generic failure frame. */
        REJECTED_BY_SERVER,
        /** The session record is missing, malformed, or does not match the handshake. */
        BAD_SESSION_RECORD
    }

    private final Reason reason;

    /** Creates an exception with a reason and a log message. */
    public HandshakeException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    /** Creates an exception with a reason, a log message and a cause. */
    public HandshakeException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    /** Which check failed. */
    public Reason reason() {
        return reason;
    }

    /** The close code for the connection: always {@link CloseCode#AUTH_FAILED}. */
    public CloseCode closeCode() {
        return CloseCode.AUTH_FAILED;
    }
}
