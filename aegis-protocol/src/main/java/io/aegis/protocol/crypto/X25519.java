package io.aegis.protocol.crypto;

import java.security.SecureRandom;

/**
 * X25519 (RFC 7748) on BouncyCastle's {@code org.bouncycastle.math.ec.rfc7748.X25519}, with the
 * checks the protocol requires: low-order public values are refused before use, and an all-zero
 * shared secret is refused after.
 */
public final class X25519 {

    /** Length of private scalars, public values and shared secrets. */
    public static final int LENGTH = 32;

    /**
     * u-coordinates (little-endian, top bit clear) of the points of small order on Curve25519 and
     * its twist, and their non-canonical aliases: 0, 1, the two points of order 8, p−1, p (≡ 0)
     * and p+1 (≡ 1). Compared with the top bit of the input masked, so each of these with the
     * high bit set is refused too (RFC 7748 ignores that bit).
     */
    private static final byte[][] LOW_ORDER = {
        Hex.decode("0000000000000000000000000000000000000000000000000000000000000000"),
        Hex.decode("0100000000000000000000000000000000000000000000000000000000000000"),
        Hex.decode("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"),
        Hex.decode("5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157"),
        Hex.decode("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
        Hex.decode("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
        Hex.decode("eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
    };

    private X25519() {
    }

    /** Draws 32 random bytes as a private scalar (clamping happens inside every use). */
    public static byte[] generatePrivate(SecureRandom random) {
        byte[] k = new byte[LENGTH];
        random.nextBytes(k);
        return k;
    }

    /** The public value X25519(k, 9). */
    public static byte[] publicKey(byte[] privateKey) {
        check(privateKey, "private key");
        byte[] pub = new byte[LENGTH];
        org.bouncycastle.math.ec.rfc7748.X25519.scalarMultBase(privateKey, 0, pub, 0);
        return pub;
    }

    /**
     * True if {@code u} encodes a point of small order (the ephemeral of a cheating peer, which
     * would force a predictable shared secret).
     */
    public static boolean isLowOrder(byte[] u) {
        check(u, "public value");
        boolean found = false;
        for (byte[] bad : LOW_ORDER) {
            int diff = 0;
            for (int i = 0; i < LENGTH - 1; i++) {
                diff |= u[i] ^ bad[i];
            }
            diff |= (u[LENGTH - 1] & 0x7F) ^ bad[LENGTH - 1];
            found |= diff == 0;
        }
        return found;
    }

    /**
     * The shared secret X25519(privateKey, peerPublic), or {@code null} if it is all zeros
     * (the peer sent a low-order value). The caller erases the result after use.
     */
    public static byte[] agree(byte[] privateKey, byte[] peerPublic) {
        check(privateKey, "private key");
        check(peerPublic, "public value");
        byte[] ss = new byte[LENGTH];
        org.bouncycastle.math.ec.rfc7748.X25519.scalarMult(privateKey, 0, peerPublic, 0, ss, 0);
        if (Secrets.isAllZero(ss)) {
            return null;
        }
        return ss;
    }

    private static void check(byte[] b, String what) {
        if (b == null || b.length != LENGTH) {
            throw new IllegalArgumentException("X25519 " + what + " must be 32 bytes");
        }
    }
}
