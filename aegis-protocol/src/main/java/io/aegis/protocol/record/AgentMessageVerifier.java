package io.aegis.protocol.record;

import io.aegis.protocol.IdentityPublicKey;
import io.aegis.protocol.Protocol;
import java.util.Arrays;

/**
 * The backend's check of a signed agent message: signer key id is the agent's registered key,
 * the audience is {@code "backend"}, {@code expires_at} is 0, and the signature verifies under
 * context {@code "Aegis 1, agent message"}. No seen set: inside a session the record layer
 * already refuses replays; the signature is for attribution and audit. Which messages must be
 * signed is the server's policy. Stateless and thread-safe.
 */
public final class AgentMessageVerifier {

    private AgentMessageVerifier() {
    }

    /** Checks an opened record against the agent's registered key. */
    public static VerificationResult verify(OpenedRecord record, IdentityPublicKey registeredAgentKey) {
        return verify(record.id(), record.type(), record.channel(), record.bodyRaw(), record.signed(),
                registeredAgentKey);
    }

    /** Checks a signature block over (id, type, channel, body) against the agent's registered key. */
    public static VerificationResult verify(String id, String type, String channel, byte[] body, SignedBlock block,
                                            IdentityPublicKey registeredAgentKey) {
        if (block == null) {
            return VerificationResult.UNSIGNED;
        }
        if (!Arrays.equals(block.signerKeyIdRaw(), registeredAgentKey.keyId())) {
            return VerificationResult.UNKNOWN_SIGNER;
        }
        if (!block.audience().equals(Protocol.AUDIENCE_BACKEND)) {
            return VerificationResult.MISADDRESSED;
        }
        if (block.expiresAt() != 0) {
            return VerificationResult.EXPIRED;
        }
        byte[] d = CommandSigner.digest(id, type, channel, block.audience(), block.expiresAt(), body);
        return registeredAgentKey.verify(Protocol.CONTEXT_AGENT_MESSAGE, d, block.signatureRaw())
                ? VerificationResult.ACCEPTED : VerificationResult.BAD_SIGNATURE;
    }
}
