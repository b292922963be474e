package io.aegis.protocol.crypto;

import java.util.HexFormat;

/** Lowercase hexadecimal, decoded strictly (even length, lowercase digits only). */
public final class Hex {

    private static final HexFormat LOWER = HexFormat.of();

    private Hex() {
    }

    /** Encodes bytes as lowercase hex. */
    public static String encode(byte[] bytes) {
        return LOWER.formatHex(bytes);
    }

    /**
     * Decodes lowercase hex.
     *
     * @throws IllegalArgumentException if the text has odd length or any character outside
     *     {@code [0-9a-f]}
     */
    public static byte[] decode(String hex) {
        if ((hex.length() & 1) != 0) {
            throw new IllegalArgumentException("hex text has odd length " + hex.length());
        }
        for (int i = 0; i < hex.length(); i++) {
            char c = hex.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                throw new IllegalArgumentException("hex text has a character outside [0-9a-f] at index " + i);
            }
        }
        return LOWER.parseHex(hex);
    }
}
