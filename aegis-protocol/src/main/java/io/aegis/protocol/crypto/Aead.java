package io.aegis.protocol.crypto;

import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.NoSuchPaddingException;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * ChaCha20-Poly1305 (RFC 8439) for one direction, on the JDK's {@code Cipher}.
 *
 * <p>One instance per direction; it holds the key, not a JDK {@code Cipher}. The cipher, which is
 * initialised for every record anyway, is one per thread: a gateway holding a million sessions
 * keeps a few dozen ciphers instead of two million (about 2 KiB of heap per session).
 *
 * <p>Nonce reuse: the JDK cipher refuses to encrypt twice in a row with the same key and nonce.
 * Each instance keeps that guarantee itself (it refuses to seal with the nonce it sealed with last
 * under the same key), because the shared cipher's own check would now compare against whatever
 * another instance on the thread did last. Not thread-safe.
 */
public final class Aead {

    /** Key length in bytes. */
    public static final int KEY_LENGTH = 32;
    /** Nonce length in bytes. */
    public static final int NONCE_LENGTH = 12;
    /** Tag length in bytes. */
    public static final int TAG_LENGTH = 16;

    private static final ThreadLocal<Cipher> CIPHER = ThreadLocal.withInitial(Aead::newCipher);

    private SecretKeySpec key;
    private byte[] lastSealNonce;

    /** Creates an AEAD with a copy of {@code key} (the caller may erase its array afterwards). */
    public Aead(byte[] key) {
        rekey(key);
    }

    /** Replaces the key (key update). */
    public void rekey(byte[] newKey) {
        if (newKey.length != KEY_LENGTH) {
            throw new IllegalArgumentException("ChaCha20-Poly1305 key must be 32 bytes, was " + newKey.length);
        }
        this.key = new SecretKeySpec(newKey, "ChaCha20");
        this.lastSealNonce = null;
    }

    /** Returns ciphertext ‖ tag. */
    public byte[] seal(byte[] nonce, byte[] aad, byte[] plaintext) {
        if (Arrays.equals(nonce, lastSealNonce)) {
            // Counter nonces never repeat: this is a bug, never a peer's doing.
            throw new IllegalStateException("AEAD refused to seal (nonce reuse)");
        }
        lastSealNonce = nonce.clone();
        Cipher cipher = CIPHER.get();
        try {
            try {
                cipher.init(Cipher.ENCRYPT_MODE, key, new IvParameterSpec(nonce));
            } catch (InvalidKeyException sameAsAnotherInstance) {
                // The thread's cipher last ran with this key and nonce for another instance (tests
                // build channels from fixed keys). This instance's own check passed, which is the
                // check a cipher per instance made; a fresh cipher has no memory of the other.
                cipher = newCipher();
                CIPHER.set(cipher);
                cipher.init(Cipher.ENCRYPT_MODE, key, new IvParameterSpec(nonce));
            }
            cipher.updateAAD(aad);
            return cipher.doFinal(plaintext);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AEAD seal failed", e);
        }
    }

    /**
     * Returns the plaintext of ciphertext ‖ tag.
     *
     * @throws AEADBadTagException if the tag does not verify (wrong key, nonce, AAD or bytes)
     */
    public byte[] open(byte[] nonce, byte[] aad, byte[] sealed) throws AEADBadTagException {
        if (sealed.length < TAG_LENGTH) {
            throw new AEADBadTagException("sealed input shorter than the tag");
        }
        Cipher cipher = CIPHER.get();
        try {
            cipher.init(Cipher.DECRYPT_MODE, key, new IvParameterSpec(nonce));
            cipher.updateAAD(aad);
            return cipher.doFinal(sealed);
        } catch (AEADBadTagException e) {
            throw e;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AEAD open failed", e);
        }
    }

    private static Cipher newCipher() {
        try {
            return Cipher.getInstance("ChaCha20-Poly1305");
        } catch (NoSuchAlgorithmException | NoSuchPaddingException e) {
            throw new IllegalStateException("ChaCha20-Poly1305 is required (JDK 11 or later)", e);
        }
    }

    /** One-shot seal (handshake messages). */
    public static byte[] sealOnce(byte[] key, byte[] nonce, byte[] aad, byte[] plaintext) {
        return new Aead(key).seal(nonce, aad, plaintext);
    }

    /** One-shot open (handshake messages). */
    public static byte[] openOnce(byte[] key, byte[] nonce, byte[] aad, byte[] sealed) throws AEADBadTagException {
        return new Aead(key).open(nonce, aad, sealed);
    }
}
