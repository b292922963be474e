package io.aegis.protocol.handshake;

import io.aegis.protocol.Protocol;
import io.aegis.protocol.crypto.ByteWriter;
import java.util.Arrays;
import java.util.Objects;

/**
 * M2, gateway to agent: the gateway's ephemeral X25519 value, a fresh nonce, and, sealed under the
 * server handshake key, the backend key id and the gateway's transcript signature.
 *
 * <pre>
 * {"type":"server_hello","version":1,"suite":"AEGIS1-…","backend_key":"b64(eB, 32)",
 *  "nonce":"b64(32)","sealed":"b64(key_id(8) ‖ sigB(64) ‖ tag(16))"}
 * </pre>
 *
 * <p>Canonical bytes: {@code "aegis/1 server_hello" ‖ u8(version) ‖ vec16(suite) ‖ eB(32) ‖ nB(32)}.
 * Note that {@code backend_key} carries the gateway's <em>ephemeral</em> public value (the seed's
 * field name kept), never a secret. Byte arrays are copied in and out.
 *
 * @param version    protocol version (1)
 * @param suite      cipher suite name
 * @param backendKey the gateway's ephemeral X25519 public value eB (32 bytes)
 * @param nonce      the gateway's random nonce nB (32 bytes)
 * @param sealed     key id ‖ sigB ‖ tag, sealed under the server handshake key (88 bytes)
 */
public record ServerHello(int version, String suite, byte[] backendKey, byte[] nonce, byte[] sealed) {

    /** JSON {@code type} of this message. */
    public static final String TYPE = "server_hello";
    /** Length of {@code sealed}: key id (8) + signature (64) + tag (16). */
    public static final int SEALED_LENGTH = 8 + 64 + 16;

    /** Checks field lengths and copies the arrays. */
    public ServerHello {
        if (version < 0 || version > 0xFF) {
            throw new IllegalArgumentException("version must be 0..255, was " + version);
        }
        Objects.requireNonNull(suite, "suite");
        backendKey = ClientHello.copy(backendKey, 32, "backend_key");
        nonce = ClientHello.copy(nonce, 32, "nonce");
        sealed = ClientHello.copy(sealed, SEALED_LENGTH, "sealed");
    }

    /** The canonical bytes SH (without {@code sealed}, which the transcript appends itself). */
    public byte[] canonicalBytes() {
        return canonicalBytes(version, suite, backendKey, nonce);
    }

    /** SH = "aegis/1 server_hello" ‖ u8(version) ‖ vec16(suite) ‖ eB(32) ‖ nB(32). */
    public static byte[] canonicalBytes(int version, String suite, byte[] backendKey, byte[] nonce) {
        return new ByteWriter(120)
                .ascii(Protocol.SERVER_HELLO_TAG)
                .u8(version)
                .vec16(suite)
                .raw(backendKey)
                .raw(nonce)
                .toByteArray();
    }

    /** A copy of {@code backendKey}. */
    @Override
    public byte[] backendKey() {
        return backendKey.clone();
    }

    /** A copy of {@code nonce}. */
    @Override
    public byte[] nonce() {
        return nonce.clone();
    }

    /** A copy of {@code sealed}. */
    @Override
    public byte[] sealed() {
        return sealed.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ServerHello h && version == h.version && suite.equals(h.suite)
                && Arrays.equals(backendKey, h.backendKey) && Arrays.equals(nonce, h.nonce)
                && Arrays.equals(sealed, h.sealed);
    }

    @Override
    public int hashCode() {
        return Objects.hash(version, suite, Arrays.hashCode(backendKey), Arrays.hashCode(nonce), Arrays.hashCode(sealed));
    }

    @Override
    public String toString() {
        return "ServerHello[version=" + version + ", suite=" + suite + "]";
    }
}
