package io.aegis.protocol;

import io.aegis.protocol.crypto.Ed25519;
import io.aegis.protocol.crypto.Secrets;
import java.security.SecureRandom;

/**
 * An Ed25519 identity key pair (agent or backend), held as its 32-byte seed.
 *
 * <p>Thread-safe for {@link #sign(byte[])} (signing reads the seed only). {@link #destroy()}
 * zeroes the seed; the pair must not be used afterwards. Best effort: copies made by the caller
 * (for example when reading a key file) are the caller's to erase.
 */
public final class IdentityKeyPair {

    private final byte[] seed;
    private final IdentityPublicKey publicKey;
    private final byte[] publicBytes;
    private volatile boolean destroyed;

    private IdentityKeyPair(byte[] seed) {
        this.seed = seed;
        this.publicBytes = Ed25519.publicKey(seed);
        this.publicKey = IdentityPublicKey.parse(publicBytes);
    }

    /** Generates a new key pair from 32 bytes of {@code random}. */
    public static IdentityKeyPair generate(SecureRandom random) {
        byte[] seed = new byte[Ed25519.SEED_LENGTH];
        random.nextBytes(seed);
        return new IdentityKeyPair(seed);
    }

    /**
     * Builds the key pair of a 32-byte RFC 8032 seed (the "private key"). The seed is copied;
     * the caller may erase its array.
     */
    public static IdentityKeyPair fromSeed(byte[] seed) {
        if (seed == null || seed.length != Ed25519.SEED_LENGTH) {
            throw new InvalidKeyException(InvalidKeyException.Reason.WRONG_LENGTH,
                    "Ed25519 seed must be 32 bytes, was " + (seed == null ? "null" : seed.length));
        }
        return new IdentityKeyPair(seed.clone());
    }

    /** The public half. */
    public IdentityPublicKey publicKey() {
        return publicKey;
    }

    /** Signs {@code message} (pure Ed25519, deterministic). */
    public byte[] sign(byte[] message) {
        if (destroyed) {
            throw new IllegalStateException("key pair was destroyed");
        }
        return Ed25519.sign(seed, publicBytes, message);
    }

    /** Signs {@code signInput(context, digest)} (64 × 0x20 ‖ context ‖ 0x00 ‖ digest). */
    public byte[] sign(String context, byte[] digest) {
        return sign(Ed25519.signInput(context, digest));
    }

    /**
     * A 32-byte secret derived from the private key for the holder's own use, never sent: for
     * example the key under which a gateway keeps HTTP session keys at rest, which every node
     * holding this identity can derive.
     *
     * <pre>
     * secret = Expand-Label(HKDF-Extract(salt = "", IKM = seed), label, "", 32)
     * </pre>
     *
     * Distinct labels give independent secrets; none reveals the seed or a signature. The caller
     * erases the result.
     */
    public byte[] deriveSecret(String label) {
        if (label == null || label.isEmpty() || label.length() > 200) {
            throw new IllegalArgumentException("label must be 1..200 characters");
        }
        if (destroyed) {
            throw new IllegalStateException("key pair was destroyed");
        }
        byte[] prk = io.aegis.protocol.crypto.Hkdf.extract(new byte[0], seed);
        try {
            return io.aegis.protocol.crypto.Hkdf.expandLabel(prk, label, new byte[0], 32);
        } finally {
            Secrets.erase(prk);
        }
    }

    /** A copy of the 32-byte seed, for {@link KeyFiles}; the caller erases it. */
    byte[] seedCopy() {
        if (destroyed) {
            throw new IllegalStateException("key pair was destroyed");
        }
        return seed.clone();
    }

    /** Zeroes the seed. Later calls to {@link #sign(byte[])} fail. */
    public void destroy() {
        destroyed = true;
        Secrets.erase(seed);
    }

    @Override
    public String toString() {
        return "IdentityKeyPair[" + publicKey.keyIdHex() + "]";
    }
}
