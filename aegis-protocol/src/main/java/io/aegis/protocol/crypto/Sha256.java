package io.aegis.protocol.crypto;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** SHA-256 ({@code H} in the protocol description). */
public final class Sha256 {

    /** Output length in bytes. */
    public static final int LENGTH = 32;

    private Sha256() {
    }

    /**
     * A digest never updated, copied for each use: {@code MessageDigest.getInstance} searches the
     * providers on every call (1.4% of the gateway's Java samples during a reconnect storm); a
     * copy of an untouched digest does not, and reading it from many threads at once is safe.
     */
    private static final MessageDigest PROTOTYPE = create();

    private static MessageDigest create() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JDK", e);
        }
    }

    /** Returns a fresh SHA-256 {@link MessageDigest}. */
    public static MessageDigest newDigest() {
        try {
            return (MessageDigest) PROTOTYPE.clone();
        } catch (CloneNotSupportedException e) {
            return create(); // a provider whose digests cannot be copied
        }
    }

    /** Returns H(parts[0] ‖ parts[1] ‖ …). */
    public static byte[] hash(byte[]... parts) {
        MessageDigest d = newDigest();
        for (byte[] p : parts) {
            d.update(p);
        }
        return d.digest();
    }
}
