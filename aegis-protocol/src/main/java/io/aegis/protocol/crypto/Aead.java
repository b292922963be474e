package io.aegis.protocol.crypto;

import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.NoSuchPaddingException;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * ChaCha20-Poly1305 (RFC 8439) for one direction, on the JDK's {@code Cipher}.
 *
 * <p>One instance per direction and key: the JDK refuses to initialise encryption twice in a row
 * with the same key and nonce, which our counter nonces never do. Not thread-safe.
 */
public final class Aead {

    /** Key length in bytes. */
    public static final int KEY_LENGTH = 32;
    /** Nonce length in bytes. */
    public static final int NONCE_LENGTH = 12;
    /** Tag length in bytes. */
    public static final int TAG_LENGTH = 16;

    private final Cipher cipher;
    private SecretKeySpec key;

    /** Creates an AEAD with a copy of {@code key} (the caller may erase its array afterwards). */
    public Aead(byte[] key) {
        try {
            this.cipher = Cipher.getInstance("ChaCha20-Poly1305");
        } catch (NoSuchAlgorithmException | NoSuchPaddingException e) {
            throw new IllegalStateException("ChaCha20-Poly1305 is required (JDK 11 or later)", e);
        }
        rekey(key);
    }

    /** Replaces the key (key update). */
    public void rekey(byte[] newKey) {
        if (newKey.length != KEY_LENGTH) {
            throw new IllegalArgumentException("ChaCha20-Poly1305 key must be 32 bytes, was " + newKey.length);
        }
        this.key = new SecretKeySpec(newKey, "ChaCha20");
    }

    /** Returns ciphertext ‖ tag. */
    public byte[] seal(byte[] nonce, byte[] aad, byte[] plaintext) {
        try {
            cipher.init(Cipher.ENCRYPT_MODE, key, new IvParameterSpec(nonce));
            cipher.updateAAD(aad);
            return cipher.doFinal(plaintext);
        } catch (InvalidKeyException | InvalidAlgorithmParameterException e) {
            // The JDK says this when asked to reuse a key and nonce: a bug, never a peer's doing.
            throw new IllegalStateException("AEAD refused to seal (nonce reuse?)", e);
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

    /** One-shot seal with a fresh cipher (handshake messages). */
    public static byte[] sealOnce(byte[] key, byte[] nonce, byte[] aad, byte[] plaintext) {
        return new Aead(key).seal(nonce, aad, plaintext);
    }

    /** One-shot open with a fresh cipher (handshake messages). */
    public static byte[] openOnce(byte[] key, byte[] nonce, byte[] aad, byte[] sealed) throws AEADBadTagException {
        return new Aead(key).open(nonce, aad, sealed);
    }
}
