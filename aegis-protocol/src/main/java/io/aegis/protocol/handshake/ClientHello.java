package io.aegis.protocol.handshake;

import io.aegis.protocol.Protocol;
import io.aegis.protocol.crypto.ByteWriter;
import io.aegis.protocol.crypto.Hex;
import java.util.Arrays;
import java.util.Objects;

/**
 * M1, agent to gateway: the agent's identity, the backend key it expects, its ephemeral X25519
 * value and a fresh nonce.
 *
 * <pre>
 * {"type":"client_hello","version":1,"suite":"AEGIS1-…","agent_id":"…","public_key":"b64(32)",
 *  "backend_key_id":"hex(8)","ephemeral_key":"b64(32)","nonce":"b64(32)","timestamp":ms}
 * </pre>
 *
 * <p>Canonical bytes (input of the transcript hash):
 * {@code "aegis/1 client_hello" ‖ u8(version) ‖ vec16(suite) ‖ vec16(agent_id) ‖ public_key(32)
 * ‖ backend_key_id(8) ‖ ephemeral_key(32) ‖ nonce(32) ‖ u64(timestamp)}.
 *
 * <p>The constructor checks lengths only; the handshake checks version, suite, agent id syntax
 * and the timestamp. Byte arrays are copied in and out.
 *
 * @param version      protocol version (1)
 * @param suite        cipher suite name
 * @param agentId      the agent id
 * @param publicKey    the agent's Ed25519 public key (32 bytes)
 * @param backendKeyId key id of the backend key the agent expects (8 bytes)
 * @param ephemeralKey the agent's ephemeral X25519 public value eA (32 bytes)
 * @param nonce        the agent's random nonce nA (32 bytes)
 * @param timestamp    the agent's clock, milliseconds since the epoch
 */
public record ClientHello(int version, String suite, String agentId, byte[] publicKey, byte[] backendKeyId,
                          byte[] ephemeralKey, byte[] nonce, long timestamp) {

    /** JSON {@code type} of this message. */
    public static final String TYPE = "client_hello";

    /** Checks field lengths and copies the arrays. */
    public ClientHello {
        if (version < 0 || version > 0xFF) {
            throw new IllegalArgumentException("version must be 0..255, was " + version);
        }
        Objects.requireNonNull(suite, "suite");
        Objects.requireNonNull(agentId, "agent_id");
        publicKey = copy(publicKey, 32, "public_key");
        backendKeyId = copy(backendKeyId, 8, "backend_key_id");
        ephemeralKey = copy(ephemeralKey, 32, "ephemeral_key");
        nonce = copy(nonce, 32, "nonce");
        if (timestamp < 0) {
            throw new IllegalArgumentException("timestamp must be ≥ 0");
        }
    }

    static byte[] copy(byte[] b, int length, String what) {
        if (b == null || b.length != length) {
            throw new IllegalArgumentException(what + " must be " + length + " bytes");
        }
        return b.clone();
    }

    /** The canonical bytes CH. */
    public byte[] canonicalBytes() {
        return new ByteWriter(200 + agentId.length())
                .ascii(Protocol.CLIENT_HELLO_TAG)
                .u8(version)
                .vec16(suite)
                .vec16(agentId)
                .raw(publicKey)
                .raw(backendKeyId)
                .raw(ephemeralKey)
                .raw(nonce)
                .u64(timestamp)
                .toByteArray();
    }

    /** A copy of {@code publicKey}. */
    @Override
    public byte[] publicKey() {
        return publicKey.clone();
    }

    /** A copy of {@code backendKeyId}. */
    @Override
    public byte[] backendKeyId() {
        return backendKeyId.clone();
    }

    /** A copy of {@code ephemeralKey}. */
    @Override
    public byte[] ephemeralKey() {
        return ephemeralKey.clone();
    }

    /** A copy of {@code nonce}. */
    @Override
    public byte[] nonce() {
        return nonce.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ClientHello h && version == h.version && timestamp == h.timestamp
                && suite.equals(h.suite) && agentId.equals(h.agentId)
                && Arrays.equals(publicKey, h.publicKey) && Arrays.equals(backendKeyId, h.backendKeyId)
                && Arrays.equals(ephemeralKey, h.ephemeralKey) && Arrays.equals(nonce, h.nonce);
    }

    @Override
    public int hashCode() {
        return Objects.hash(version, suite, agentId, Arrays.hashCode(publicKey), Arrays.hashCode(ephemeralKey),
                Arrays.hashCode(nonce), timestamp);
    }

    @Override
    public String toString() {
        return "ClientHello[version=" + version + ", suite=" + suite + ", agentId=" + agentId
                + ", backendKeyId=" + Hex.encode(backendKeyId) + ", timestamp=" + timestamp + "]";
    }
}
