package io.aegis.microbench;

import io.aegis.protocol.IdentityKeyPair;
import io.aegis.protocol.Protocol;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;

/**
 * Fixed identities, clock and message bodies shared by the benchmarks. Keys come from fixed seeds
 * so that every run signs and seals the same bytes.
 */
final class Fixtures {

    /** 2026-01-01T00:00:00Z: the fixed "now" of every benchmark. */
    static final long NOW = 1_767_225_600_000L;
    /** A stopped clock, so that records and handshakes are reproducible. */
    static final Clock CLOCK = Clock.fixed(Instant.ofEpochMilli(NOW), ZoneOffset.UTC);

    static final String AGENT_ID = "agent-0001.bench";
    static final IdentityKeyPair AGENT_KEY = IdentityKeyPair.fromSeed(seed(0x11));
    static final IdentityKeyPair BACKEND_KEY = IdentityKeyPair.fromSeed(seed(0x22));

    /** Largest frame a channel accepts: the gateway's default. */
    static final int MAX_FRAME = Protocol.DEFAULT_MAX_FRAME_BYTES;

    /** Fixed traffic secrets and session id for record benchmarks that skip the handshake. */
    static final byte[] SESSION_ID = java.util.Arrays.copyOf(seed(0x90), 16);
    static final byte[] CLIENT_SECRET = seed(0xa0);
    static final byte[] SERVER_SECRET = seed(0xc0);

    private Fixtures() {
    }

    /** 32 bytes counting up from {@code start}. */
    static byte[] seed(int start) {
        return bytes(32, start);
    }

    /** {@code n} bytes counting up from {@code start}. */
    static byte[] bytes(int n, int start) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (start + i);
        }
        return b;
    }

    /** A JSON command body of exactly {@code size} UTF-8 bytes (at least 32). */
    static byte[] jsonBody(int size) {
        String head = "{\"action\":\"scan\",\"pad\":\"";
        String tail = "\"}";
        int pad = size - head.length() - tail.length();
        if (pad < 0) {
            throw new IllegalArgumentException("body size must be at least " + (head.length() + tail.length()));
        }
        StringBuilder sb = new StringBuilder(size).append(head);
        for (int i = 0; i < pad; i++) {
            sb.append((char) ('a' + i % 26));
        }
        byte[] body = sb.append(tail).toString().getBytes(StandardCharsets.UTF_8);
        if (body.length != size) {
            throw new AssertionError("body is " + body.length + " bytes, wanted " + size);
        }
        return body;
    }
}
