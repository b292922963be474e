package io.aegis.protocol;

import io.aegis.protocol.crypto.Ed25519;
import io.aegis.protocol.crypto.Hex;
import io.aegis.protocol.crypto.Secrets;
import io.aegis.protocol.crypto.Sha256;
import io.aegis.protocol.crypto.StrictBase64;
import java.util.Arrays;

/**
 * A validated Ed25519 public key: the identity of an agent or of the backend.
 *
 * <p>{@link #parse(byte[])} accepts exactly the canonical encodings of points in the prime-order
 * subgroup, other than the identity. It refuses a wrong length, a y-coordinate ≥ p, x = 0 with
 * the sign bit set, a point not on the curve, the eight points of small order (for which a
 * constant signature would verify for every message) and points with a small-order component.
 *
 * <p>Immutable and thread-safe.
 */
public final class IdentityPublicKey {

    /** Length of the encoded key. */
    public static final int LENGTH = 32;
    /** Length of a key id. */
    public static final int KEY_ID_LENGTH = 8;

    /** Canonical encodings of the eight points of order dividing 8. */
    private static final byte[][] SMALL_ORDER = {
        Hex.decode("0100000000000000000000000000000000000000000000000000000000000000"),
        Hex.decode("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
        Hex.decode("0000000000000000000000000000000000000000000000000000000000000000"),
        Hex.decode("0000000000000000000000000000000000000000000000000000000000000080"),
        Hex.decode("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"),
        Hex.decode("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa"),
        Hex.decode("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"),
        Hex.decode("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85"),
    };
    private static final byte[] Y_ONE = Hex.decode("0100000000000000000000000000000000000000000000000000000000000000");
    private static final byte[] Y_MINUS_ONE = Hex.decode("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");

    private final byte[] encoded;
    private final org.bouncycastle.math.ec.rfc8032.Ed25519.PublicPoint point;
    private final byte[] keyId;

    private IdentityPublicKey(byte[] encoded, org.bouncycastle.math.ec.rfc8032.Ed25519.PublicPoint point) {
        this.encoded = encoded;
        this.point = point;
        this.keyId = keyId(encoded);
    }

    /**
     * Parses and validates a 32-byte Ed25519 public key.
     *
     * @throws InvalidKeyException with the reason the key was refused
     */
    public static IdentityPublicKey parse(byte[] encoded) {
        if (encoded == null || encoded.length != LENGTH) {
            throw new InvalidKeyException(InvalidKeyException.Reason.WRONG_LENGTH,
                    "Ed25519 public key must be 32 bytes, was " + (encoded == null ? "null" : encoded.length));
        }
        byte[] key = encoded.clone();
        if (!Ed25519.isFieldElementCanonical(key, 0)) {
            throw new InvalidKeyException(InvalidKeyException.Reason.NON_CANONICAL,
                    "Ed25519 public key is not canonical: its y-coordinate is not below 2^255-19");
        }
        if ((key[31] & 0x80) != 0) {
            byte[] y = key.clone();
            y[31] &= 0x7F;
            if (Arrays.equals(y, Y_ONE) || Arrays.equals(y, Y_MINUS_ONE)) {
                throw new InvalidKeyException(InvalidKeyException.Reason.NON_CANONICAL,
                        "Ed25519 public key is not canonical: x = 0 with the sign bit set");
            }
        }
        for (byte[] bad : SMALL_ORDER) {
            if (Arrays.equals(key, bad)) {
                throw new InvalidKeyException(InvalidKeyException.Reason.SMALL_ORDER,
                        "Ed25519 public key is a point of small order (identity or order 2, 4, 8)");
            }
        }
        if (!org.bouncycastle.math.ec.rfc8032.Ed25519.validatePublicKeyPartial(key, 0)) {
            throw new InvalidKeyException(InvalidKeyException.Reason.NOT_ON_CURVE,
                    "Ed25519 public key is not a point on the curve");
        }
        var point = org.bouncycastle.math.ec.rfc8032.Ed25519.validatePublicKeyFullExport(key, 0);
        if (point == null) {
            throw new InvalidKeyException(InvalidKeyException.Reason.MIXED_ORDER,
                    "Ed25519 public key is not in the prime-order subgroup (it has a small-order component)");
        }
        return new IdentityPublicKey(key, point);
    }

    /**
     * A key that was fully validated by {@link #parse} before and kept by a trusted store (the
     * gateway's agent registry validates every key at registration). Only decodes the point;
     * skips the prime-order subgroup check, which costs more than a signature verification.
     * Never use it for a key that comes from the network.
     *
     * @throws InvalidKeyException if the bytes are not a point on the curve at all
     */
    public static IdentityPublicKey fromTrustedStore(byte[] encoded) {
        if (encoded == null || encoded.length != LENGTH) {
            throw new InvalidKeyException(InvalidKeyException.Reason.WRONG_LENGTH,
                    "Ed25519 public key must be 32 bytes, was " + (encoded == null ? "null" : encoded.length));
        }
        byte[] key = encoded.clone();
        var point = org.bouncycastle.math.ec.rfc8032.Ed25519.validatePublicKeyPartialExport(key, 0);
        if (point == null) {
            throw new InvalidKeyException(InvalidKeyException.Reason.NOT_ON_CURVE,
                    "Ed25519 public key is not a point on the curve");
        }
        return new IdentityPublicKey(key, point);
    }

    /**
     * Parses a key given as canonical base64 of 32 bytes (the form of {@code X-Agent-Public-Key}
     * and of the JSON fields).
     *
     * @throws InvalidKeyException if the text is not canonical base64 of a valid key
     */
    public static IdentityPublicKey parseBase64(String base64) {
        if (base64 == null) {
            throw new InvalidKeyException(InvalidKeyException.Reason.MALFORMED, "public key text is null");
        }
        byte[] raw;
        try {
            raw = StrictBase64.decode(base64);
        } catch (IllegalArgumentException e) {
            throw new InvalidKeyException(InvalidKeyException.Reason.MALFORMED,
                    "public key is not canonical base64: " + e.getMessage());
        }
        return parse(raw);
    }

    /** Key id of a 32-byte public key: the first 8 bytes of SHA-256(key). */
    public static byte[] keyId(byte[] encodedKey) {
        return Arrays.copyOf(Sha256.hash(encodedKey), KEY_ID_LENGTH);
    }

    /**
     * Verifies an Ed25519 signature over {@code message}. Refuses signatures of the wrong length,
     * with S ≥ L, or with a non-canonical R.
     */
    public boolean verify(byte[] message, byte[] signature) {
        return Ed25519.verify(point, message, signature);
    }

    /** Verifies a signature over {@code signInput(context, digest)}. */
    public boolean verify(String context, byte[] digest, byte[] signature) {
        return verify(Ed25519.signInput(context, digest), signature);
    }

    /** The 32-byte encoding (a copy). */
    public byte[] encoded() {
        return encoded.clone();
    }

    /** The encoding as canonical base64. */
    public String base64() {
        return StrictBase64.encode(encoded);
    }

    /** The key id: first 8 bytes of SHA-256 of the encoding (a copy). */
    public byte[] keyId() {
        return keyId.clone();
    }

    /** The key id as 16 lowercase hex characters. */
    public String keyIdHex() {
        return Hex.encode(keyId);
    }

    /** True if {@code other} holds these 32 bytes; compared in constant time. */
    public boolean matches(byte[] other) {
        return other != null && Secrets.constantTimeEquals(encoded, other);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof IdentityPublicKey k && Arrays.equals(encoded, k.encoded);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(encoded);
    }

    @Override
    public String toString() {
        return "IdentityPublicKey[" + keyIdHex() + "]";
    }
}
