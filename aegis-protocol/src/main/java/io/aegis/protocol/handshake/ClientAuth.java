package io.aegis.protocol.handshake;

import java.util.Arrays;

/**
 * M3, agent to gateway: the agent's transcript signature sealed under the client handshake key.
 *
 * <pre>
 * {"type":"client_auth","sealed":"b64(sigA(64) ‖ tag(16))"}
 * </pre>
 *
 * <p>Byte arrays are copied in and out.
 *
 * @param sealed sigA ‖ tag, sealed under the client handshake key (80 bytes)
 */
public record ClientAuth(byte[] sealed) {

    /** JSON {@code type} of this message. */
    public static final String TYPE = "client_auth";
    /** Length of {@code sealed}: signature (64) + tag (16). */
    public static final int SEALED_LENGTH = 64 + 16;

    /** Checks the length and copies the array. */
    public ClientAuth {
        sealed = ClientHello.copy(sealed, SEALED_LENGTH, "sealed");
    }

    /** A copy of {@code sealed}. */
    @Override
    public byte[] sealed() {
        return sealed.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ClientAuth a && Arrays.equals(sealed, a.sealed);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(sealed);
    }

    @Override
    public String toString() {
        return "ClientAuth[]";
    }
}
