package io.aegis.microbench;

import java.security.SecureRandom;

/**
 * A {@link SecureRandom} that hands out a fixed script of byte strings, one per
 * {@link #nextBytes} call, starting over when the script ends. A handshake draws exactly two
 * 32-byte strings (ephemeral private key, then nonce), so with a script of two entries every
 * handshake draws the same values and produces the same frames: the other side's frames can then
 * be recorded once and replayed, and one side's cost measured alone.
 *
 * <p>For benchmarks only, obviously. Not thread-safe.
 */
final class RepeatingRandom extends SecureRandom {

    private static final long serialVersionUID = 1L;

    private final byte[][] script;
    private int next;

    RepeatingRandom(byte[]... script) {
        super(new byte[0]);
        this.script = script.clone();
    }

    @Override
    public void nextBytes(byte[] bytes) {
        byte[] entry = script[next];
        if (entry.length != bytes.length) {
            throw new IllegalStateException("script entry of " + entry.length + " bytes, asked for " + bytes.length);
        }
        System.arraycopy(entry, 0, bytes, 0, bytes.length);
        next = (next + 1) % script.length;
    }
}
