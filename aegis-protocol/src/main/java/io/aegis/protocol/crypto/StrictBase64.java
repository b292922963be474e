package io.aegis.protocol.crypto;

import java.util.Base64;

/**
 * RFC 4648 base64, standard alphabet, with padding, decoded strictly.
 *
 * <p>The JDK decoder accepts missing padding and non-zero trailing bits, so the same bytes would
 * have several encodings. Here exactly one text decodes to given bytes: the one
 * {@link #encode(byte[])} produces. Whitespace, line breaks, missing or extra padding, the URL-safe
 * alphabet and non-zero trailing bits are all refused.
 */
public final class StrictBase64 {

    private static final Base64.Encoder ENCODER = Base64.getEncoder();
    private static final Base64.Decoder DECODER = Base64.getDecoder();

    private StrictBase64() {
    }

    /** Encodes with the standard alphabet and padding. */
    public static String encode(byte[] bytes) {
        return ENCODER.encodeToString(bytes);
    }

    /**
     * Decodes canonical base64.
     *
     * @throws IllegalArgumentException if the text is not the canonical encoding of any bytes
     */
    public static byte[] decode(String text) {
        if ((text.length() & 3) != 0) {
            throw new IllegalArgumentException("base64 text length " + text.length() + " is not a multiple of 4");
        }
        byte[] out;
        try {
            out = DECODER.decode(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid base64: " + e.getMessage());
        }
        // Re-encoding catches non-zero trailing bits and misplaced padding.
        if (!ENCODER.encodeToString(out).equals(text)) {
            throw new IllegalArgumentException("base64 text is not canonical (trailing bits or padding)");
        }
        return out;
    }

    /**
     * Decodes canonical base64 that must hold exactly {@code length} bytes.
     *
     * @param what names the field in the error message
     */
    public static byte[] decode(String text, int length, String what) {
        if (text.length() != encodedLength(length)) {
            throw new IllegalArgumentException(what + " must be base64 of " + length + " bytes");
        }
        byte[] out = decode(text);
        if (out.length != length) {
            throw new IllegalArgumentException(what + " must be base64 of " + length + " bytes");
        }
        return out;
    }

    /** Length of the padded encoding of {@code n} bytes. */
    public static int encodedLength(int n) {
        return 4 * ((n + 2) / 3);
    }
}
