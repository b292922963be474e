package io.aegis.protocol;

import java.util.Arrays;
import java.util.Objects;

/**
 * The backend identity keys an agent trusts: a current key and, during a rotation, the next one.
 * An agent verifies the gateway's handshake signature and backend commands only against these
 * pinned keys, never against a key received from the network.
 *
 * <p>Immutable and thread-safe. To rotate, build a new instance.
 */
public final class PinnedBackendKeys {

    private final IdentityPublicKey current;
    private final IdentityPublicKey next;

    private PinnedBackendKeys(IdentityPublicKey current, IdentityPublicKey next) {
        this.current = Objects.requireNonNull(current, "current backend key");
        this.next = next;
    }

    /** Pins one key. */
    public static PinnedBackendKeys of(IdentityPublicKey current) {
        return new PinnedBackendKeys(current, null);
    }

    /** Pins a current key and the next one ({@code next} may be {@code null}). */
    public static PinnedBackendKeys of(IdentityPublicKey current, IdentityPublicKey next) {
        return new PinnedBackendKeys(current, next);
    }

    /** The current key: the one named in {@code client_hello.backend_key_id}. */
    public IdentityPublicKey current() {
        return current;
    }

    /** The next key, or {@code null}. */
    public IdentityPublicKey next() {
        return next;
    }

    /** The pinned key with this 8-byte key id, or {@code null}. */
    public IdentityPublicKey find(byte[] keyId) {
        if (Arrays.equals(current.keyId(), keyId)) {
            return current;
        }
        if (next != null && Arrays.equals(next.keyId(), keyId)) {
            return next;
        }
        return null;
    }

    @Override
    public String toString() {
        return "PinnedBackendKeys[current=" + current.keyIdHex() + ", next=" + (next == null ? "-" : next.keyIdHex()) + "]";
    }
}
