package io.aegis.protocol;

/**
 * WebSocket close codes used by the gateway, each with the reaction expected of an agent.
 *
 * <p>Codes 4000–4999 are private-use codes (RFC 6455 §7.4.2). An agent that receives a code not
 * listed here reacts as to {@link #PROTOCOL_VIOLATION}: {@link Reaction#RECONNECT_BACKOFF}.
 */
public enum CloseCode {

    /** 1000: normal closure. The agent reconnects with backoff unless it asked to close. */
    NORMAL(1000, "normal", "normal closure", Reaction.RECONNECT_BACKOFF),
    /**
     * 1001: the gateway node is shutting down. Reconnect with backoff and jitter, possibly to
     * another node behind the load balancer.
     */
    GOING_AWAY(1001, "server shutting down", "the gateway node is shutting down", Reaction.RECONNECT_BACKOFF),
    /**
     * 1009: a frame exceeded the peer's size limit. Reconnect with backoff; the agent must not
     * resend the oversized message unchanged.
     */
    MESSAGE_TOO_BIG(1009, "message too large", "a frame exceeded the size limit", Reaction.RECONNECT_BACKOFF),
    /**
     * 4001: the handshake failed (unknown, inactive or mismatched agent, bad signature, clock
     * skew, anything). The reason is never given. Reconnect with long backoff; alert locally.
     */
    AUTH_FAILED(4001, "authentication failed", "the handshake failed", Reaction.RECONNECT_BACKOFF_LONG),
    /** 4002: the session token expired. Run a new handshake at once. */
    SESSION_EXPIRED(4002, "session expired", "the session expired", Reaction.RECONNECT_NOW),
    /**
     * 4003: the agent was revoked. Stop, report to the operator, and never reconnect
     * automatically.
     */
    REVOKED(4003, "revoked", "the agent was revoked", Reaction.STOP),
    /**
     * 4004: a newer connection of the same agent replaced this one. Stop this connection
     * without reconnecting (another instance of the agent holds the session).
     */
    REPLACED(4004, "replaced", "replaced by a newer connection of the same agent", Reaction.STOP),
    /** 4005: rate limited. Reconnect with longer backoff than usual. */
    RATE_LIMITED(4005, "rate limited", "too many connections or messages", Reaction.RECONNECT_BACKOFF_LONG),
    /**
     * 4006: protocol violation (a record failed to open, a message out of order, malformed JSON).
     * Reconnect with backoff.
     */
    PROTOCOL_VIOLATION(4006, "protocol violation", "the peer broke the protocol", Reaction.RECONNECT_BACKOFF),
    /** 4007: the handshake did not complete in time. Reconnect with backoff. */
    HANDSHAKE_TIMEOUT(4007, "handshake timeout", "the handshake did not complete in time", Reaction.RECONNECT_BACKOFF),
    /** 4008: the gateway heard nothing from the agent, not even a pong, for its heartbeat timeout. Reconnect with backoff. */
    HEARTBEAT_TIMEOUT(4008, "heartbeat timeout", "nothing received within the heartbeat timeout", Reaction.RECONNECT_BACKOFF),
    /**
     * 4009: the gateway node is draining (a rolling restart, or an operator moving load away).
     * Nothing failed: reconnect soon, after a short random pause, through the load balancer to
     * another node, with the backoff starting over.
     */
    DRAINING(4009, "node draining", "the gateway node is draining; reconnect to another node", Reaction.RECONNECT_SOON),
    /** 1011: the gateway failed internally (for example its store); reconnect with backoff, possibly elsewhere. */
    INTERNAL_ERROR(1011, "internal error", "the gateway could not complete an operation", Reaction.RECONNECT_BACKOFF);

    /** What an agent does when its connection is closed with a code. */
    public enum Reaction {
        /** Reconnect at once (a new full handshake). */
        RECONNECT_NOW,
        /**
         * Reconnect after a short random pause (suggested: uniform in [0, 1 s]) and start the
         * backoff over: the gateway asked, nothing failed, and the pause spreads the agents of a
         * draining node over the others.
         */
        RECONNECT_SOON,
        /** Reconnect after exponential backoff with jitter (suggested: 1 s doubling to 60 s). */
        RECONNECT_BACKOFF,
        /** Reconnect after long backoff (suggested: 30 s doubling to 15 min). */
        RECONNECT_BACKOFF_LONG,
        /** Do not reconnect; report to the operator. */
        STOP
    }

    private final int code;
    private final String reasonText;
    private final String description;
    private final Reaction reaction;

    CloseCode(int code, String reasonText, String description, Reaction reaction) {
        this.code = code;
        this.reasonText = reasonText;
        this.description = description;
        this.reaction = reaction;
    }

    /** The numeric WebSocket close code. */
    public int code() {
        return code;
    }

    /** The short reason sent in the close frame (ASCII, well under 123 bytes). */
    public String reasonText() {
        return reasonText;
    }

    /** One sentence for logs. */
    public String description() {
        return description;
    }

    /** What the agent is expected to do. */
    public Reaction reaction() {
        return reaction;
    }

    /** The constant for a numeric code, or {@code null} if it is not one of ours. */
    public static CloseCode of(int code) {
        for (CloseCode c : values()) {
            if (c.code == code) {
                return c;
            }
        }
        return null;
    }

    /** The reaction to a numeric code; unknown codes get {@link Reaction#RECONNECT_BACKOFF}. */
    public static Reaction reactionFor(int code) {
        CloseCode c = of(code);
        return c == null ? Reaction.RECONNECT_BACKOFF : c.reaction;
    }
}
