package io.aegis.protocol.crypto;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Builds the canonical byte strings of the protocol: big-endian unsigned integers and
 * length-prefixed vectors ({@code vec8}, {@code vec16}). Not thread-safe.
 */
public final class ByteWriter {

    private byte[] buf;
    private int len;

    /** Creates a writer with an initial capacity in bytes. */
    public ByteWriter(int capacity) {
        buf = new byte[Math.max(16, capacity)];
    }

    private void ensure(int extra) {
        if (len + extra > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + extra));
        }
    }

    /** Appends raw bytes. */
    public ByteWriter raw(byte[] b) {
        return raw(b, 0, b.length);
    }

    /** Appends part of an array. */
    public ByteWriter raw(byte[] b, int off, int n) {
        ensure(n);
        System.arraycopy(b, off, buf, len, n);
        len += n;
        return this;
    }

    /** Appends the US-ASCII bytes of a string (a fixed label, no length prefix). */
    public ByteWriter ascii(String s) {
        return raw(s.getBytes(StandardCharsets.US_ASCII));
    }

    /** Appends one byte. */
    public ByteWriter u8(int v) {
        if (v < 0 || v > 0xFF) {
            throw new IllegalArgumentException("u8 out of range: " + v);
        }
        ensure(1);
        buf[len++] = (byte) v;
        return this;
    }

    /** Appends a big-endian u16. */
    public ByteWriter u16(int v) {
        if (v < 0 || v > 0xFFFF) {
            throw new IllegalArgumentException("u16 out of range: " + v);
        }
        ensure(2);
        buf[len++] = (byte) (v >>> 8);
        buf[len++] = (byte) v;
        return this;
    }

    /** Appends a big-endian u32 (the low 32 bits of {@code v}, which must be in range). */
    public ByteWriter u32(long v) {
        if (v < 0 || v > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("u32 out of range: " + v);
        }
        ensure(4);
        for (int shift = 24; shift >= 0; shift -= 8) {
            buf[len++] = (byte) (v >>> shift);
        }
        return this;
    }

    /** Appends a big-endian u64; {@code v} is read as unsigned. */
    public ByteWriter u64(long v) {
        ensure(8);
        for (int shift = 56; shift >= 0; shift -= 8) {
            buf[len++] = (byte) (v >>> shift);
        }
        return this;
    }

    /** Appends u8(length) ‖ bytes. */
    public ByteWriter vec8(byte[] b) {
        if (b.length > 0xFF) {
            throw new IllegalArgumentException("vec8 longer than 255 bytes: " + b.length);
        }
        u8(b.length);
        return raw(b);
    }

    /** Appends u16(length) ‖ bytes. */
    public ByteWriter vec16(byte[] b) {
        if (b.length > 0xFFFF) {
            throw new IllegalArgumentException("vec16 longer than 65535 bytes: " + b.length);
        }
        u16(b.length);
        return raw(b);
    }

    /** Appends vec16 of the UTF-8 bytes of a string. */
    public ByteWriter vec16(String s) {
        return vec16(s.getBytes(StandardCharsets.UTF_8));
    }

    /** Number of bytes written so far. */
    public int length() {
        return len;
    }

    /** Returns a copy of the bytes written. */
    public byte[] toByteArray() {
        return Arrays.copyOf(buf, len);
    }

    /** Zeroes the internal buffer (for writers that held secrets). */
    public void erase() {
        Arrays.fill(buf, (byte) 0);
        len = 0;
    }

    /** Writes a big-endian u64 into {@code dst} at {@code off}. */
    public static void putU64(byte[] dst, int off, long v) {
        for (int i = 0; i < 8; i++) {
            dst[off + i] = (byte) (v >>> (56 - 8 * i));
        }
    }

    /** Reads a big-endian u64 from {@code src} at {@code off}. */
    public static long getU64(byte[] src, int off) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (src[off + i] & 0xFF);
        }
        return v;
    }

    /** Reads a big-endian u16 from {@code src} at {@code off}. */
    public static int getU16(byte[] src, int off) {
        return ((src[off] & 0xFF) << 8) | (src[off + 1] & 0xFF);
    }
}
