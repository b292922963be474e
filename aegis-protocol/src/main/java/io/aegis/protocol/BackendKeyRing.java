package io.aegis.protocol;

import java.util.Arrays;
import java.util.Objects;

/**
 * The backend identity key pairs a gateway holds: the current one and, during a rotation, the
 * next one. The handshake signs with the key an agent asks for by key id if the ring holds it,
 * else with the current key.
 *
 * <p>Immutable and thread-safe. To rotate, build a new instance and swap it in.
 */
public final class BackendKeyRing {

    private final IdentityKeyPair current;
    private final IdentityKeyPair next;

    private BackendKeyRing(IdentityKeyPair current, IdentityKeyPair next) {
        this.current = Objects.requireNonNull(current, "current backend key");
        this.next = next;
    }

    /** A ring of one key. */
    public static BackendKeyRing of(IdentityKeyPair current) {
        return new BackendKeyRing(current, null);
    }

    /** A ring of the current and next keys ({@code next} may be {@code null}). */
    public static BackendKeyRing of(IdentityKeyPair current, IdentityKeyPair next) {
        return new BackendKeyRing(current, next);
    }

    /** The current key pair. */
    public IdentityKeyPair current() {
        return current;
    }

    /** The next key pair, or {@code null}. */
    public IdentityKeyPair next() {
        return next;
    }

    /** The key pair whose key id is {@code keyId} if held, else the current one. */
    public IdentityKeyPair select(byte[] keyId) {
        if (next != null && Arrays.equals(next.publicKey().keyId(), keyId)) {
            return next;
        }
        return current;
    }
}
