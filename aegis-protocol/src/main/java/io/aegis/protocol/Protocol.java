package io.aegis.protocol;

/**
 * Constants of version 1 of the Aegis agent protocol.
 *
 * <p>Every string here is part of the wire contract described in {@code docs/PROTOCOL.md}:
 * changing one breaks interoperability with every deployed agent.
 */
public final class Protocol {

    /** The only protocol version this library speaks. There is no negotiation and no downgrade. */
    public static final int VERSION = 1;

    /** The only cipher suite: X25519 key agreement, Ed25519 signatures, ChaCha20-Poly1305, SHA-256. */
    public static final String SUITE = "AEGIS1-X25519-ED25519-CHACHA20POLY1305-SHA256";

    /** Signature context of the gateway's handshake signature ({@code sigB}). */
    public static final String CONTEXT_SERVER_HANDSHAKE = "Aegis 1, server handshake";
    /** Signature context of the agent's handshake signature ({@code sigA}). */
    public static final String CONTEXT_CLIENT_HANDSHAKE = "Aegis 1, client handshake";
    /** Signature context of a backend command (backend to agent). */
    public static final String CONTEXT_COMMAND = "Aegis 1, command";
    /** Signature context of a signed agent message (agent to backend). */
    public static final String CONTEXT_AGENT_MESSAGE = "Aegis 1, agent message";
    /** Signature context of {@code POST /api/v1/auth}. */
    public static final String CONTEXT_HTTP_AUTH = "Aegis 1, http auth";
    /** Signature context of an agent key rotation ({@code POST /api/v1/agents/{id}/rotate-key}), signed by both keys. */
    public static final String CONTEXT_KEY_ROTATION = "Aegis 1, key rotation";

    /** Prefix of every HKDF-Expand-Label label (TLS 1.3 uses {@code "tls13 "}). */
    public static final String LABEL_PREFIX = "aegis1 ";

    /** Leading bytes of the canonical form of {@code client_hello}. */
    public static final String CLIENT_HELLO_TAG = "aegis/1 client_hello";
    /** Leading bytes of the canonical form of {@code server_hello}. */
    public static final String SERVER_HELLO_TAG = "aegis/1 server_hello";

    /** The channel that carries protocol control records ({@code session}, {@code key_update}). */
    public static final String CONTROL_CHANNEL = "control";

    /** Record id of the gateway's first application record (the {@code session} record). */
    public static final String SESSION_RECORD_ID = "session";

    /** Audience of a broadcast command. */
    public static final String AUDIENCE_BROADCAST = "*";
    /** Prefix of the audience of a command addressed to one agent: {@code "agent:" + agentId}. */
    public static final String AUDIENCE_AGENT_PREFIX = "agent:";
    /** Audience of a signed agent message. */
    public static final String AUDIENCE_BACKEND = "backend";

    /** Direction byte of records sent by the agent (client) to the gateway: ASCII 'C'. */
    public static final byte DIRECTION_CLIENT_TO_SERVER = 0x43;
    /** Direction byte of records sent by the gateway to the agent: ASCII 'S'. */
    public static final byte DIRECTION_SERVER_TO_CLIENT = 0x53;

    /**
     * Records one direction may send under one traffic key (one epoch): 2<sup>32</sup>. Sealing
     * fails beyond it; the last slot is reserved for the {@code key_update} record.
     */
    public static final long MAX_RECORDS_PER_EPOCH = 1L << 32;

    /**
     * Largest handshake frame accepted, in bytes (UTF-8). A real {@code client_hello} is under
     * 700 bytes; the limit stops an unauthenticated peer from making the gateway parse more.
     */
    public static final int MAX_HANDSHAKE_FRAME_BYTES = 4096;

    /** The generic failure frame; the same bytes for every handshake failure. */
    public static final String AUTH_FAILURE_MESSAGE = "authentication failed";

    /** Default largest frame (1 MiB) the gateway accepts; a caller setting, not a protocol constant. */
    public static final int DEFAULT_MAX_FRAME_BYTES = 1 << 20;

    private Protocol() {
    }
}
