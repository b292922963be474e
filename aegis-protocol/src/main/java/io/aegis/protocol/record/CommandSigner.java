package io.aegis.protocol.record;

import io.aegis.protocol.IdentityKeyPair;
import io.aegis.protocol.Identifiers;
import io.aegis.protocol.Protocol;
import io.aegis.protocol.crypto.ByteWriter;
import io.aegis.protocol.crypto.Sha256;
import java.util.Objects;

/**
 * Signs messages for the signature block of a record.
 *
 * <ul>
 * <li>{@link #backend(IdentityKeyPair)}: backend commands, context {@code "Aegis 1, command"},
 *     audience {@code "*"} (broadcast) or {@code "agent:<id>"}, optional expiry.</li>
 * <li>{@link #agent(IdentityKeyPair)}: agent messages, context {@code "Aegis 1, agent message"},
 *     audience {@code "backend"}, no expiry.</li>
 * </ul>
 *
 * <pre>
 * D   = H(vec16(id) ‖ vec16(type) ‖ vec16(channel) ‖ vec16(audience) ‖ u64(expires_at) ‖ H(body))
 * sig = Ed25519(key, 0x20×64 ‖ context ‖ 0x00 ‖ D)
 * </pre>
 *
 * <p>Thread-safe.
 */
public final class CommandSigner {

    private final IdentityKeyPair key;
    private final String context;
    private final boolean backend;

    private CommandSigner(IdentityKeyPair key, String context, boolean backend) {
        this.key = Objects.requireNonNull(key, "key");
        this.context = context;
        this.backend = backend;
    }

    /** A signer of backend commands with a backend identity key. */
    public static CommandSigner backend(IdentityKeyPair backendKey) {
        return new CommandSigner(backendKey, Protocol.CONTEXT_COMMAND, true);
    }

    /** A signer of agent messages with the agent's identity key. */
    public static CommandSigner agent(IdentityKeyPair agentKey) {
        return new CommandSigner(agentKey, Protocol.CONTEXT_AGENT_MESSAGE, false);
    }

    /** The digest D of a signed message. */
    public static byte[] digest(String id, String type, String channel, String audience, long expiresAt,
                                byte[] body) {
        return Sha256.hash(new ByteWriter(128 + id.length() + type.length() + channel.length() + audience.length())
                .vec16(id).vec16(type).vec16(channel).vec16(audience).u64(expiresAt).raw(Sha256.hash(body))
                .toByteArray());
    }

    /**
     * Signs a backend command addressed to every agent ({@code audience "*"}).
     *
     * @param expiresAtMillis expiry in ms since the epoch, or 0 for none
     */
    public SignedCommand broadcast(String id, String type, String channel, long expiresAtMillis, byte[] body) {
        return sign(id, type, channel, Protocol.AUDIENCE_BROADCAST, expiresAtMillis, body);
    }

    /** Signs a backend command addressed to one agent ({@code audience "agent:<agentId>"}). */
    public SignedCommand toAgent(String agentId, String id, String type, String channel, long expiresAtMillis,
                                 byte[] body) {
        Identifiers.requireAgentId(agentId);
        return sign(id, type, channel, Protocol.AUDIENCE_AGENT_PREFIX + agentId, expiresAtMillis, body);
    }

    /** Signs an agent message (audience {@code "backend"}, no expiry). */
    public SignedCommand agentMessage(String id, String type, String channel, byte[] body) {
        return sign(id, type, channel, Protocol.AUDIENCE_BACKEND, 0, body);
    }

    /**
     * Signs a message with an explicit audience and expiry.
     *
     * @throws IllegalArgumentException if a name is invalid, or the audience does not fit the
     *     signer (a backend signs for {@code "*"} or {@code "agent:<id>"}; an agent for
     *     {@code "backend"} with expiry 0)
     */
    public SignedCommand sign(String id, String type, String channel, String audience, long expiresAtMillis,
                              byte[] body) {
        Identifiers.requireMessageId(id);
        Identifiers.requireMessageType(type);
        Identifiers.requireChannel(channel);
        String err = SignedBlock.audienceError(audience);
        if (err != null) {
            throw new IllegalArgumentException(err);
        }
        if (backend == audience.equals(Protocol.AUDIENCE_BACKEND)) {
            throw new IllegalArgumentException(backend
                    ? "a backend command is addressed to \"*\" or \"agent:<id>\""
                    : "an agent message is addressed to \"backend\"");
        }
        if (!backend && expiresAtMillis != 0) {
            throw new IllegalArgumentException("an agent message has no expiry (0)");
        }
        byte[] d = digest(id, type, channel, audience, expiresAtMillis, body);
        byte[] sig = key.sign(context, d);
        return new SignedCommand(id, type, channel, body,
                new SignedBlock(key.publicKey().keyId(), expiresAtMillis, audience, sig));
    }
}
