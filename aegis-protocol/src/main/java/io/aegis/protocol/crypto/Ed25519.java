package io.aegis.protocol.crypto;

import java.nio.charset.StandardCharsets;

/**
 * Ed25519 (RFC 8032, pure, no context) on BouncyCastle's
 * {@code org.bouncycastle.math.ec.rfc8032.Ed25519}, with strict verification, and the TLS 1.3
 * style signature framing of the protocol.
 *
 * <p>Verification refuses, before any curve arithmetic, a signature whose scalar {@code S} is not
 * below the group order L (malleability) and one whose {@code R} has a y-coordinate ≥ p
 * (non-canonical). BouncyCastle then compares the encoding of the computed R with the received
 * bytes, so any other non-canonical R fails as well.
 */
public final class Ed25519 {

    /** Public key length. */
    public static final int PUBLIC_KEY_LENGTH = 32;
    /** Private key (seed) length. */
    public static final int SEED_LENGTH = 32;
    /** Signature length. */
    public static final int SIGNATURE_LENGTH = 64;

    /** Group order L, little-endian. */
    private static final byte[] L = Hex.decode("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");
    /** Field prime p = 2^255 - 19, little-endian. */
    private static final byte[] P = Hex.decode("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");

    private static final byte[] SIGN_PREFIX = new byte[64];

    static {
        java.util.Arrays.fill(SIGN_PREFIX, (byte) 0x20);
    }

    private Ed25519() {
    }

    /**
     * The signed bytes for a context and digest: 64 × 0x20 ‖ context ‖ 0x00 ‖ digest (TLS 1.3
     * §4.4.3). Distinct contexts make one role's signature useless in another role.
     */
    public static byte[] signInput(String context, byte[] digest) {
        return new ByteWriter(64 + context.length() + 1 + digest.length)
                .raw(SIGN_PREFIX)
                .raw(context.getBytes(StandardCharsets.US_ASCII))
                .u8(0)
                .raw(digest)
                .toByteArray();
    }

    /** Derives the public key of a 32-byte seed. */
    public static byte[] publicKey(byte[] seed) {
        byte[] pk = new byte[PUBLIC_KEY_LENGTH];
        org.bouncycastle.math.ec.rfc8032.Ed25519.generatePublicKey(seed, 0, pk, 0);
        return pk;
    }

    /** Signs {@code message} with a seed and its public key. */
    public static byte[] sign(byte[] seed, byte[] publicKey, byte[] message) {
        byte[] sig = new byte[SIGNATURE_LENGTH];
        org.bouncycastle.math.ec.rfc8032.Ed25519.sign(seed, 0, publicKey, 0, message, 0, message.length, sig, 0);
        return sig;
    }

    /**
     * Verifies a signature against a public point validated in advance
     * (see {@link io.aegis.protocol.IdentityPublicKey}).
     */
    public static boolean verify(org.bouncycastle.math.ec.rfc8032.Ed25519.PublicPoint publicPoint,
                                 byte[] message, byte[] signature) {
        if (signature == null || signature.length != SIGNATURE_LENGTH) {
            return false;
        }
        if (!isScalarCanonical(signature) || !isFieldElementCanonical(signature, 0)) {
            return false;
        }
        return org.bouncycastle.math.ec.rfc8032.Ed25519.verify(signature, 0, publicPoint, message, 0, message.length);
    }

    /** True if S (bytes 32..63 of the signature, little-endian) is below L. */
    static boolean isScalarCanonical(byte[] signature) {
        return lessThan(signature, 32, L);
    }

    /** True if the y-coordinate (top bit masked) of the 32-byte encoding at {@code off} is below p. */
    public static boolean isFieldElementCanonical(byte[] encoding, int off) {
        byte[] y = java.util.Arrays.copyOfRange(encoding, off, off + 32);
        y[31] &= 0x7F;
        return lessThan(y, 0, P);
    }

    /** Little-endian comparison a[off..off+32) < b. */
    private static boolean lessThan(byte[] a, int off, byte[] b) {
        for (int i = 31; i >= 0; i--) {
            int x = a[off + i] & 0xFF;
            int y = b[i] & 0xFF;
            if (x != y) {
                return x < y;
            }
        }
        return false;
    }
}
