package io.aegis.protocol.testing;

import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * A {@link SecureRandom} that hands out scripted byte strings, one per {@link #nextBytes} call,
 * in order: the seam through which tests fix ephemeral keys and nonces. Fails loudly if a call
 * asks for a length other than the next script entry's, or if the script runs out.
 */
public final class ScriptedRandom extends SecureRandom {

    private static final long serialVersionUID = 1L;

    private final transient Deque<byte[]> script = new ArrayDeque<>();

    /** A random that returns each given array in turn. */
    public ScriptedRandom(byte[]... entries) {
        super(new byte[0]);
        for (byte[] e : entries) {
            script.add(e.clone());
        }
    }

    @Override
    public synchronized void nextBytes(byte[] bytes) {
        byte[] next = script.poll();
        if (next == null) {
            throw new IllegalStateException("scripted random exhausted");
        }
        if (next.length != bytes.length) {
            throw new IllegalStateException("scripted entry of " + next.length + " bytes, asked for " + bytes.length);
        }
        System.arraycopy(next, 0, bytes, 0, bytes.length);
    }

    /** True when every entry was used. */
    public boolean exhausted() {
        return script.isEmpty();
    }
}
