package io.aegis.protocol.crypto;

/**
 * The AEAD key and IV of one traffic secret: {@code key = Expand-Label(S, "key", "", 32)},
 * {@code iv = Expand-Label(S, "iv", "", 12)}; and the key-update step
 * {@code next = Expand-Label(S, "upd", "", 32)}.
 */
public final class TrafficKeys {

    private static final byte[] EMPTY = new byte[0];

    private TrafficKeys() {
    }

    /** The 32-byte ChaCha20-Poly1305 key of a secret. */
    public static byte[] key(byte[] secret) {
        return Hkdf.expandLabel(secret, "key", EMPTY, Aead.KEY_LENGTH);
    }

    /** The 12-byte IV of a secret. */
    public static byte[] iv(byte[] secret) {
        return Hkdf.expandLabel(secret, "iv", EMPTY, Aead.NONCE_LENGTH);
    }

    /** The secret of the next epoch. */
    public static byte[] next(byte[] secret) {
        return Hkdf.expandLabel(secret, "upd", EMPTY, 32);
    }

    /** Nonce of record {@code seq}: iv XOR (0x00000000 ‖ u64(seq)). */
    public static byte[] nonce(byte[] iv, long seq) {
        byte[] n = iv.clone();
        for (int i = 0; i < 8; i++) {
            n[4 + i] ^= (byte) (seq >>> (56 - 8 * i));
        }
        return n;
    }
}
