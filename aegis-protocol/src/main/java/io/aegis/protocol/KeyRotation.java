package io.aegis.protocol;

import io.aegis.protocol.crypto.ByteWriter;
import io.aegis.protocol.crypto.Ed25519;
import io.aegis.protocol.crypto.Sha256;
import java.util.Objects;

/**
 * Signatures of an agent identity-key rotation ({@code POST /api/v1/agents/{agent_id}/rotate-key}).
 * Both the current (old) key and the new key sign the same input,
 *
 * <pre>
 * sign_input("Aegis 1, key rotation",
 *            H(vec16(agent_id) ‖ old_public_key(32) ‖ new_public_key(32) ‖ u64(timestamp ms)))
 * </pre>
 *
 * <p>The old key's signature proves possession of the key being replaced; the new key's proves
 * possession of its replacement, so an agent cannot register a key it does not hold (someone
 * else's, to have its messages attributed to them). Binding the agent id, both keys and a
 * timestamp makes a pair of signatures good for exactly one rotation of one agent, within the
 * server's clock-skew window. Stateless and thread-safe.
 */
public final class KeyRotation {

    /** The two signatures of a rotation, 64 bytes each. */
    public record Signatures(byte[] oldKeySignature, byte[] newKeySignature) {
        /** Copies the arrays. */
        public Signatures {
            oldKeySignature = oldKeySignature.clone();
            newKeySignature = newKeySignature.clone();
        }

        @Override
        public byte[] oldKeySignature() {
            return oldKeySignature.clone();
        }

        @Override
        public byte[] newKeySignature() {
            return newKeySignature.clone();
        }
    }

    private KeyRotation() {
    }

    /**
     * {@code H(vec16(agent_id) ‖ old(32) ‖ new(32) ‖ u64(timestamp))}.
     *
     * @throws IllegalArgumentException for an invalid agent id or a negative timestamp
     */
    public static byte[] digest(String agentId, IdentityPublicKey oldKey, IdentityPublicKey newKey, long timestampMs) {
        Identifiers.requireAgentId(agentId);
        Objects.requireNonNull(oldKey, "oldKey");
        Objects.requireNonNull(newKey, "newKey");
        if (timestampMs < 0) {
            throw new IllegalArgumentException("timestamp must be ≥ 0, was " + timestampMs);
        }
        return Sha256.hash(new ByteWriter(2 + agentId.length() + 72)
                .vec16(agentId).raw(oldKey.encoded()).raw(newKey.encoded()).u64(timestampMs).toByteArray());
    }

    /** The exact bytes both keys sign: {@code sign_input("Aegis 1, key rotation", digest)}. */
    public static byte[] canonical(String agentId, IdentityPublicKey oldKey, IdentityPublicKey newKey, long timestampMs) {
        return Ed25519.signInput(Protocol.CONTEXT_KEY_ROTATION, digest(agentId, oldKey, newKey, timestampMs));
    }

    /** Signs a rotation from {@code oldKey} to {@code newKey} with both. */
    public static Signatures sign(String agentId, IdentityKeyPair oldKey, IdentityKeyPair newKey, long timestampMs) {
        byte[] input = canonical(agentId, oldKey.publicKey(), newKey.publicKey(), timestampMs);
        return new Signatures(oldKey.sign(input), newKey.sign(input));
    }

    /**
     * Verifies the old key's signature, against the agent's <em>registered</em> key. False for a
     * bad signature or a malformed agent id or timestamp.
     */
    public static boolean verifyOld(String agentId, IdentityPublicKey registeredKey, IdentityPublicKey newKey,
                                    long timestampMs, byte[] signature) {
        return verify(registeredKey, agentId, registeredKey, newKey, timestampMs, signature);
    }

    /** Verifies the new key's signature (made by the new key over the same input). */
    public static boolean verifyNew(String agentId, IdentityPublicKey registeredKey, IdentityPublicKey newKey,
                                    long timestampMs, byte[] signature) {
        return verify(newKey, agentId, registeredKey, newKey, timestampMs, signature);
    }

    private static boolean verify(IdentityPublicKey signer, String agentId, IdentityPublicKey oldKey,
                                  IdentityPublicKey newKey, long timestampMs, byte[] signature) {
        byte[] input;
        try {
            input = canonical(agentId, oldKey, newKey, timestampMs);
        } catch (IllegalArgumentException e) {
            return false;
        }
        return signature != null && signer.verify(input, signature);
    }
}
