package io.aegis.protocol.testing;

import io.aegis.protocol.BackendKeyRing;
import io.aegis.protocol.IdentityKeyPair;
import io.aegis.protocol.IdentityPublicKey;
import io.aegis.protocol.PinnedBackendKeys;
import io.aegis.protocol.handshake.ClientHandshake;
import io.aegis.protocol.handshake.HandshakeException;
import io.aegis.protocol.handshake.ServerHandshake;
import io.aegis.protocol.record.RecordException;
import io.aegis.protocol.record.SecureChannel;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;

/**
 * Fixtures: fixed identities and in-memory handshakes. Keys come from fixed seeds so failures
 * reproduce; ephemerals come from a real {@link SecureRandom} unless a test scripts them.
 */
public final class Sessions {

    public static final String AGENT_ID = "agent-007.example:eu-1";
    public static final long NOW = 1_767_225_600_000L; // 2026-01-01T00:00:00Z
    public static final int MAX_FRAME = 1 << 20;
    public static final SecureRandom RANDOM = new SecureRandom();

    public static final IdentityKeyPair AGENT_KEY = IdentityKeyPair.fromSeed(seed(0x11));
    public static final IdentityKeyPair BACKEND_KEY = IdentityKeyPair.fromSeed(seed(0x22));
    public static final IdentityKeyPair BACKEND_NEXT_KEY = IdentityKeyPair.fromSeed(seed(0x33));
    public static final IdentityKeyPair OTHER_KEY = IdentityKeyPair.fromSeed(seed(0x44));

    private Sessions() {
    }

    /** 32 bytes counting up from {@code start}. */
    public static byte[] seed(int start) {
        byte[] b = new byte[32];
        for (int i = 0; i < 32; i++) {
            b[i] = (byte) (start + i);
        }
        return b;
    }

    public static ServerHandshake.Config serverConfig(Clock clock) {
        return new ServerHandshake.Config(BackendKeyRing.of(BACKEND_KEY, BACKEND_NEXT_KEY), clock, RANDOM,
                Duration.ofMinutes(5), MAX_FRAME);
    }

    public static ClientHandshake.Config clientConfig(Clock clock) {
        return new ClientHandshake.Config(AGENT_ID, AGENT_KEY, PinnedBackendKeys.of(BACKEND_KEY.publicKey()), clock,
                RANDOM, MAX_FRAME);
    }

    public static ServerHandshake.AgentKeyLookup registry() {
        return id -> id.equals(AGENT_ID) ? AGENT_KEY.publicKey() : null;
    }

    public static ServerHandshake.AgentKeyLookup registry(IdentityPublicKey key) {
        return id -> id.equals(AGENT_ID) ? key : null;
    }

    /** Fixed traffic secrets for record tests that craft records by hand. */
    public static final byte[] SESSION_ID = java.util.Arrays.copyOf(seed(0x90), 16);
    public static final byte[] CLIENT_SECRET = seed(0xa0);
    public static final byte[] SERVER_SECRET = seed(0xc0);

    /** A channel pair over fixed secrets, without a handshake (the gateway has sent no session record). */
    public static SecureChannel[] fixedPair(Clock clock) {
        return new SecureChannel[] {
            SecureChannel.create(SecureChannel.Role.CLIENT, SESSION_ID, CLIENT_SECRET, SERVER_SECRET, clock, MAX_FRAME),
            SecureChannel.create(SecureChannel.Role.SERVER, SESSION_ID, CLIENT_SECRET, SERVER_SECRET, clock, MAX_FRAME),
        };
    }

    /** Both ends of an established session. */
    public record Pair(SecureChannel client, SecureChannel server, ClientHandshake.Established clientResult,
                       ServerHandshake.Established serverResult) {
    }

    /** Runs a whole handshake in memory. */
    public static Pair handshake(Clock clock) {
        return handshake(serverConfig(clock), clientConfig(clock));
    }

    public static Pair handshake(ServerHandshake.Config sc, ClientHandshake.Config cc) {
        return handshake(sc, cc, registry());
    }

    public static Pair handshake(ServerHandshake.Config sc, ClientHandshake.Config cc,
                                 ServerHandshake.AgentKeyLookup registry) {
        try {
            ServerHandshake server = new ServerHandshake(sc);
            ClientHandshake client = new ClientHandshake(cc);
            String m2 = server.onClientHello(client.clientHello(), registry);
            String m3 = client.onServerHello(m2);
            ServerHandshake.Established s = server.onClientAuth(m3);
            String session = s.sessionRecord("token-abc", NOW / 1000 + 86_400);
            ClientHandshake.Established c = client.onSessionRecord(session);
            return new Pair(c.channel(), s.channel(), c, s);
        } catch (HandshakeException | RecordException e) {
            throw new AssertionError(e);
        }
    }
}
