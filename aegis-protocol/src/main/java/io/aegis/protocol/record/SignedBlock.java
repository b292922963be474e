package io.aegis.protocol.record;

import io.aegis.protocol.IdentityPublicKey;
import io.aegis.protocol.Identifiers;
import io.aegis.protocol.Protocol;
import io.aegis.protocol.crypto.Ed25519;
import io.aegis.protocol.crypto.Hex;
import java.util.Arrays;
import java.util.Objects;

/**
 * The signature block inside a record's plaintext (present when {@code flags & 1}):
 * {@code signer_key_id(8) ‖ u64(expires_at) ‖ vec16(audience) ‖ signature(64)}.
 *
 * <p>The signature covers {@code D = H(vec16(id) ‖ vec16(type) ‖ vec16(channel) ‖ vec16(audience)
 * ‖ u64(expires_at) ‖ H(body))} framed with a role context, and nothing session-specific, so one
 * block can be sealed into any number of sessions (a broadcast costs one signature).
 *
 * @param signerKeyId key id of the signing identity key (8 bytes)
 * @param expiresAt   expiry in milliseconds since the epoch; 0 = none
 * @param audience    {@code "*"}, {@code "agent:<agent id>"} or {@code "backend"}
 * @param signature   Ed25519 signature (64 bytes)
 */
public record SignedBlock(byte[] signerKeyId, long expiresAt, String audience, byte[] signature) {

    /** Checks lengths and the audience syntax; copies the arrays. */
    public SignedBlock {
        if (signerKeyId == null || signerKeyId.length != IdentityPublicKey.KEY_ID_LENGTH) {
            throw new IllegalArgumentException("signer key id must be 8 bytes");
        }
        if (signature == null || signature.length != Ed25519.SIGNATURE_LENGTH) {
            throw new IllegalArgumentException("signature must be 64 bytes");
        }
        if (expiresAt < 0) {
            throw new IllegalArgumentException("expires_at must be ≥ 0 (0 = no expiry)");
        }
        String err = audienceError(audience);
        if (err != null) {
            throw new IllegalArgumentException(err);
        }
        signerKeyId = signerKeyId.clone();
        signature = signature.clone();
    }

    /** Checks an audience: {@code "*"}, {@code "backend"} or {@code "agent:"} + a valid agent id. Null if valid. */
    public static String audienceError(String audience) {
        if (audience == null) {
            return "audience is missing";
        }
        if (audience.equals(Protocol.AUDIENCE_BROADCAST) || audience.equals(Protocol.AUDIENCE_BACKEND)) {
            return null;
        }
        if (audience.startsWith(Protocol.AUDIENCE_AGENT_PREFIX)) {
            String err = Identifiers.agentIdError(audience.substring(Protocol.AUDIENCE_AGENT_PREFIX.length()));
            return err == null ? null : "audience: " + err;
        }
        return "audience must be \"*\", \"backend\" or \"agent:<agent id>\"";
    }

    /** Encoded length inside the plaintext. */
    int encodedLength() {
        return 8 + 8 + 2 + audience.length() + 64;
    }

    /** A copy of {@code signerKeyId}. */
    @Override
    public byte[] signerKeyId() {
        return signerKeyId.clone();
    }

    /** A copy of {@code signature}. */
    @Override
    public byte[] signature() {
        return signature.clone();
    }

    /** Signer key id as 16 hex characters. */
    public String signerKeyIdHex() {
        return Hex.encode(signerKeyId);
    }

    byte[] signerKeyIdRaw() {
        return signerKeyId;
    }

    byte[] signatureRaw() {
        return signature;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SignedBlock b && expiresAt == b.expiresAt && audience.equals(b.audience)
                && Arrays.equals(signerKeyId, b.signerKeyId) && Arrays.equals(signature, b.signature);
    }

    @Override
    public int hashCode() {
        return Objects.hash(Arrays.hashCode(signerKeyId), expiresAt, audience, Arrays.hashCode(signature));
    }

    @Override
    public String toString() {
        return "SignedBlock[signer=" + signerKeyIdHex() + ", expiresAt=" + expiresAt + ", audience=" + audience + "]";
    }
}
