package io.aegis.protocol.testing;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;
import java.util.SortedMap;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The protocol's formulas written out again, directly from docs/PROTOCOL.md and on the JDK and
 * BouncyCastle primitives, without the library's classes: the second implementation that the
 * test vectors and the malicious-peer tests are computed with.
 */
public final class SpecMath {

    private SpecMath() {
    }

    /** A tiny big-endian writer. */
    public static final class Bytes {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        public Bytes raw(byte[] b) {
            out.writeBytes(b);
            return this;
        }

        public Bytes ascii(String s) {
            return raw(s.getBytes(StandardCharsets.US_ASCII));
        }

        public Bytes u8(int v) {
            out.write(v);
            return this;
        }

        public Bytes u16(int v) {
            out.write(v >>> 8);
            out.write(v);
            return this;
        }

        public Bytes u32(long v) {
            for (int s = 24; s >= 0; s -= 8) {
                out.write((int) (v >>> s));
            }
            return this;
        }

        public Bytes u64(long v) {
            for (int s = 56; s >= 0; s -= 8) {
                out.write((int) (v >>> s));
            }
            return this;
        }

        public Bytes vec8(byte[] b) {
            return u8(b.length).raw(b);
        }

        public Bytes vec16(byte[] b) {
            return u16(b.length).raw(b);
        }

        public Bytes vec16(String s) {
            return vec16(s.getBytes(StandardCharsets.UTF_8));
        }

        public byte[] bytes() {
            return out.toByteArray();
        }
    }

    public static Bytes bytes() {
        return new Bytes();
    }

    public static byte[] sha256(byte[]... parts) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            for (byte[] p : parts) {
                d.update(p);
            }
            return d.digest();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    public static byte[] hmac(byte[] key, byte[] data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** HKDF-Extract(salt, ikm). */
    public static byte[] extract(byte[] salt, byte[] ikm) {
        return hmac(salt, ikm);
    }

    /** u16(L) ‖ vec8("aegis1 " ‖ label) ‖ vec8(context). */
    public static byte[] labelInfo(String label, byte[] context, int length) {
        return bytes().u16(length).vec8(("aegis1 " + label).getBytes(StandardCharsets.US_ASCII)).vec8(context).bytes();
    }

    /** Expand-Label for L ≤ 32 (one HMAC block): T(1) = HMAC(secret, info ‖ 0x01). */
    public static byte[] expandLabel(byte[] secret, String label, byte[] context, int length) {
        byte[] t1 = hmac(secret, bytes().raw(labelInfo(label, context, length)).u8(1).bytes());
        return java.util.Arrays.copyOf(t1, length);
    }

    public static byte[] key(byte[] secret) {
        return expandLabel(secret, "key", new byte[0], 32);
    }

    public static byte[] iv(byte[] secret) {
        return expandLabel(secret, "iv", new byte[0], 12);
    }

    public static byte[] upd(byte[] secret) {
        return expandLabel(secret, "upd", new byte[0], 32);
    }

    public static byte[] nonce(byte[] iv, long seq) {
        byte[] pad = bytes().u32(0).u64(seq).bytes();
        byte[] n = new byte[12];
        for (int i = 0; i < 12; i++) {
            n[i] = (byte) (iv[i] ^ pad[i]);
        }
        return n;
    }

    public static byte[] seal(byte[] key, byte[] nonce, byte[] aad, byte[] plaintext) {
        try {
            Cipher c = Cipher.getInstance("ChaCha20-Poly1305");
            c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "ChaCha20"), new IvParameterSpec(nonce));
            c.updateAAD(aad);
            return c.doFinal(plaintext);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    public static byte[] open(byte[] key, byte[] nonce, byte[] aad, byte[] sealed) throws Exception {
        Cipher c = Cipher.getInstance("ChaCha20-Poly1305");
        c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "ChaCha20"), new IvParameterSpec(nonce));
        c.updateAAD(aad);
        return c.doFinal(sealed);
    }

    public static byte[] x25519Public(byte[] priv) {
        byte[] out = new byte[32];
        org.bouncycastle.math.ec.rfc7748.X25519.scalarMultBase(priv, 0, out, 0);
        return out;
    }

    public static byte[] x25519(byte[] priv, byte[] pub) {
        byte[] out = new byte[32];
        org.bouncycastle.math.ec.rfc7748.X25519.scalarMult(priv, 0, pub, 0, out, 0);
        return out;
    }

    public static byte[] keyId(byte[] pub) {
        return java.util.Arrays.copyOf(sha256(pub), 8);
    }

    public static byte[] signInput(String context, byte[] digest) {
        byte[] spaces = new byte[64];
        java.util.Arrays.fill(spaces, (byte) 0x20);
        return bytes().raw(spaces).ascii(context).u8(0).raw(digest).bytes();
    }

    public static byte[] ch(int version, String suite, String agentId, byte[] pub, byte[] backendKeyId, byte[] eA,
                            byte[] nA, long timestamp) {
        return bytes().ascii("aegis/1 client_hello").u8(version).vec16(suite).vec16(agentId).raw(pub)
                .raw(backendKeyId).raw(eA).raw(nA).u64(timestamp).bytes();
    }

    public static byte[] sh(int version, String suite, byte[] eB, byte[] nB) {
        return bytes().ascii("aegis/1 server_hello").u8(version).vec16(suite).raw(eB).raw(nB).bytes();
    }

    public static byte[] aad(byte[] sessionId, int direction, long epoch, long seq, String id, String type,
                             String channel, long timestamp, SortedMap<String, String> headers) {
        Bytes b = bytes().raw(sessionId).u8(direction).u32(epoch).u64(seq).vec16(id).vec16(type).vec16(channel)
                .u64(timestamp).u16(headers.size());
        for (Map.Entry<String, String> h : headers.entrySet()) {
            b.vec16(h.getKey()).vec16(h.getValue());
        }
        return b.bytes();
    }

    public static byte[] commandDigest(String id, String type, String channel, String audience, long expiresAt,
                                       byte[] body) {
        return sha256(bytes().vec16(id).vec16(type).vec16(channel).vec16(audience).u64(expiresAt)
                .raw(sha256(body)).bytes());
    }

    public static byte[] httpAuthInput(String agentId, long timestamp, String nonce) {
        return signInput("Aegis 1, http auth", sha256(bytes().vec16(agentId).u64(timestamp).vec16(nonce).bytes()));
    }

    /** PROTOCOL.md §15.3: what both keys of an agent key rotation sign. */
    public static byte[] keyRotationInput(String agentId, byte[] oldPub, byte[] newPub, long timestamp) {
        return signInput("Aegis 1, key rotation",
                sha256(bytes().vec16(agentId).raw(oldPub).raw(newPub).u64(timestamp).bytes()));
    }
}
