package io.aegis.protocol.crypto;

import java.security.MessageDigest;
import java.util.Arrays;

/** Best-effort erasure and constant-time comparison of secret bytes. */
public final class Secrets {

    private Secrets() {
    }

    /** Overwrites each array with zeros; {@code null} entries are ignored. */
    public static void erase(byte[]... secrets) {
        for (byte[] s : secrets) {
            if (s != null) {
                Arrays.fill(s, (byte) 0);
            }
        }
    }

    /** Compares two arrays in time that depends only on their lengths. */
    public static boolean constantTimeEquals(byte[] a, byte[] b) {
        return MessageDigest.isEqual(a, b);
    }

    /** True if every byte is zero, examined in constant time. */
    public static boolean isAllZero(byte[] a) {
        int acc = 0;
        for (byte b : a) {
            acc |= b;
        }
        return acc == 0;
    }
}
