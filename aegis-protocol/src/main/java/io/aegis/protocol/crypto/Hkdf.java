package io.aegis.protocol.crypto;

import io.aegis.protocol.Protocol;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * HKDF (RFC 5869) with HMAC-SHA256 from the JDK, and the TLS 1.3 style Expand-Label:
 *
 * <pre>
 * Expand-Label(secret, label, context, L) =
 *     HKDF-Expand(secret, u16(L) ‖ vec8("aegis1 " ‖ label) ‖ vec8(context), L)
 * </pre>
 */
public final class Hkdf {

    private static final int HASH_LEN = 32;

    private Hkdf() {
    }

    /**
     * One HMAC-SHA256 per thread, keyed anew for each use. {@code Mac.getInstance} and the first
     * {@code init} of a new instance search the JCE providers; a handshake derives a dozen keys,
     * and that search was most of HKDF's cost in the gateway's handshake profile.
     */
    private static final ThreadLocal<Mac> MACS = ThreadLocal.withInitial(() -> {
        try {
            return Mac.getInstance("HmacSHA256");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is required of every JDK", e);
        }
    });

    /** This thread's HMAC keyed with {@code key}; use it before the next call on this thread. */
    private static Mac hmac(byte[] key) {
        try {
            Mac mac = MACS.get();
            // An empty HMAC key equals a key of zeros (RFC 2104 pads keys with zeros); the JDK
            // refuses empty keys, so substitute HashLen zeros as RFC 5869 does for a missing salt.
            mac.init(new SecretKeySpec(key.length == 0 ? new byte[HASH_LEN] : key, "HmacSHA256"));
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is required of every JDK", e);
        }
    }

    /** HKDF-Extract(salt, ikm) = HMAC-SHA256(key = salt, ikm): a 32-byte pseudorandom key. */
    public static byte[] extract(byte[] salt, byte[] ikm) {
        return hmac(salt).doFinal(ikm);
    }

    /** HKDF-Expand(prk, info, length), length at most 255 × 32 bytes. */
    public static byte[] expand(byte[] prk, byte[] info, int length) {
        if (length < 1 || length > 255 * HASH_LEN) {
            throw new IllegalArgumentException("HKDF-Expand length must be 1.." + 255 * HASH_LEN + ", was " + length);
        }
        Mac mac = hmac(prk);
        byte[] out = new byte[length];
        byte[] t = new byte[0];
        int pos = 0;
        for (int i = 1; pos < length; i++) {
            mac.update(t);
            mac.update(info);
            mac.update((byte) i);
            byte[] next = mac.doFinal();
            Secrets.erase(t);
            t = next;
            int n = Math.min(HASH_LEN, length - pos);
            System.arraycopy(t, 0, out, pos, n);
            pos += n;
        }
        Secrets.erase(t);
        return out;
    }

    /** The {@code info} input of Expand-Label: u16(L) ‖ vec8("aegis1 " ‖ label) ‖ vec8(context). */
    public static byte[] labelInfo(String label, byte[] context, int length) {
        byte[] fullLabel = (Protocol.LABEL_PREFIX + label).getBytes(StandardCharsets.US_ASCII);
        return new ByteWriter(4 + fullLabel.length + context.length)
                .u16(length).vec8(fullLabel).vec8(context).toByteArray();
    }

    /** Expand-Label(secret, label, context, length). */
    public static byte[] expandLabel(byte[] secret, String label, byte[] context, int length) {
        return expand(secret, labelInfo(label, context, length), length);
    }
}
