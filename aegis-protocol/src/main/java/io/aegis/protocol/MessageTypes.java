package io.aegis.protocol;

/**
 * The message types of protocol version 1 (the {@code type} field of a {@link SecureMessage}).
 * Other types matching {@link Identifiers#messageTypeError(String)} pass the record layer and are
 * the router's to accept or refuse.
 */
public final class MessageTypes {

    /** A request that expects a {@link #RESPONSE}. */
    public static final String REQUEST = "request";
    /** The answer to a {@link #REQUEST}. */
    public static final String RESPONSE = "response";
    /** A one-way notification. */
    public static final String EVENT = "event";
    /** Acknowledges delivery of a message id. */
    public static final String ACK = "ack";
    /** Reports a failure about a message id. */
    public static final String ERROR = "error";
    /** The gateway's first record: the {@code AuthenticationResponse} (channel {@code control}). */
    public static final String SESSION = "session";
    /** Traffic key update of the sender's direction (channel {@code control}). */
    public static final String KEY_UPDATE = "key_update";
    /** Subscribes the agent to a channel. */
    public static final String SUBSCRIBE = "subscribe";
    /** Unsubscribes the agent from a channel. */
    public static final String UNSUBSCRIBE = "unsubscribe";
    /** Announces a backend identity key (for example the next key, signed by the current one). */
    public static final String BACKEND_KEY = "backend_key";

    private MessageTypes() {
    }
}
