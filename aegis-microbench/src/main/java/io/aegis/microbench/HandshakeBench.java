package io.aegis.microbench;

import io.aegis.protocol.BackendKeyRing;
import io.aegis.protocol.IdentityPublicKey;
import io.aegis.protocol.PinnedBackendKeys;
import io.aegis.protocol.handshake.ClientHandshake;
import io.aegis.protocol.handshake.HandshakeException;
import io.aegis.protocol.handshake.ServerHandshake;
import io.aegis.protocol.record.RecordException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * A complete handshake in memory (M1, M2, M3, session record), through the public
 * {@link ClientHandshake} / {@link ServerHandshake} API: JSON, X25519, HKDF, AEAD and both
 * Ed25519 signatures and verifications.
 *
 * <ul>
 * <li>{@code serverSide}: the gateway's whole share: decode and check M1, registry lookup (an
 *     in-memory map hit returning an already parsed key), key generation, agreement, key
 *     schedule, sign, seal M2; open M3, verify, derive the channel; seal the session record. This
 *     is what bounds handshakes per second per gateway core.</li>
 * <li>{@code clientSide}: the agent's share: build M1; open M2, verify, sign, seal M3, derive the
 *     channel; open and check the session record.</li>
 * <li>{@code bothSides}: the two together, as one in-memory exchange.</li>
 * </ul>
 *
 * <p>To measure one side alone, the other side's frames are recorded once and replayed. That is
 * possible because here both sides draw their ephemeral keys and nonces from a
 * {@link RepeatingRandom} and the clock is stopped, so every handshake is byte-for-byte the
 * same. {@code bothSides} uses a real {@link SecureRandom} on both sides instead, so its
 * difference to the sum of the sides is about the cost of drawing 2 × 64 random bytes.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class HandshakeBench {

    private static final String TOKEN = "benchmark-session-token-0123456789abcdef";
    private static final long EXPIRES_AT_SECONDS = Fixtures.NOW / 1000 + 86_400;

    private ServerHandshake.Config serverReplayable;
    private ClientHandshake.Config clientReplayable;
    private ServerHandshake.Config serverRandom;
    private ClientHandshake.Config clientRandom;
    private ServerHandshake.AgentKeyLookup registry;

    /** Frames of one replayable handshake. */
    private String m1;
    private String m2;
    private String m3;
    private String sessionRecord;

    @Setup
    public void setUp() throws HandshakeException, RecordException {
        IdentityPublicKey agentPublic = Fixtures.AGENT_KEY.publicKey();
        registry = id -> Fixtures.AGENT_ID.equals(id) ? agentPublic : null;
        BackendKeyRing ring = BackendKeyRing.of(Fixtures.BACKEND_KEY);
        PinnedBackendKeys pins = PinnedBackendKeys.of(Fixtures.BACKEND_KEY.publicKey());
        Duration skew = Duration.ofMinutes(5);

        serverReplayable = new ServerHandshake.Config(ring, Fixtures.CLOCK,
                new RepeatingRandom(Fixtures.seed(0x60), Fixtures.seed(0x61)), skew, Fixtures.MAX_FRAME);
        clientReplayable = new ClientHandshake.Config(Fixtures.AGENT_ID, Fixtures.AGENT_KEY, pins, Fixtures.CLOCK,
                new RepeatingRandom(Fixtures.seed(0x70), Fixtures.seed(0x71)), Fixtures.MAX_FRAME);
        serverRandom = new ServerHandshake.Config(ring, Fixtures.CLOCK, new SecureRandom(), skew, Fixtures.MAX_FRAME);
        clientRandom = new ClientHandshake.Config(Fixtures.AGENT_ID, Fixtures.AGENT_KEY, pins, Fixtures.CLOCK,
                new SecureRandom(), Fixtures.MAX_FRAME);

        // Record one handshake, then check that a second one reproduces it exactly: the replays
        // below are only valid if it does.
        String[] first = record();
        String[] second = record();
        if (!java.util.Arrays.equals(first, second)) {
            throw new IllegalStateException("handshakes are not reproducible; one side cannot be replayed alone");
        }
        m1 = first[0];
        m2 = first[1];
        m3 = first[2];
        sessionRecord = first[3];
        // And each replay must complete.
        serverSide();
        clientSide();
        bothSides();
    }

    private String[] record() throws HandshakeException, RecordException {
        ServerHandshake server = new ServerHandshake(serverReplayable);
        ClientHandshake client = new ClientHandshake(clientReplayable);
        String a = client.clientHello();
        String b = server.onClientHello(a, registry);
        String c = client.onServerHello(b);
        String d = server.onClientAuth(c).sessionRecord(TOKEN, EXPIRES_AT_SECONDS);
        client.onSessionRecord(d);
        return new String[] {a, b, c, d};
    }

    @Benchmark
    public String serverSide() throws HandshakeException, RecordException {
        ServerHandshake server = new ServerHandshake(serverReplayable);
        server.onClientHello(m1, registry);
        return server.onClientAuth(m3).sessionRecord(TOKEN, EXPIRES_AT_SECONDS);
    }

    @Benchmark
    public ClientHandshake.Established clientSide() throws HandshakeException {
        ClientHandshake client = new ClientHandshake(clientReplayable);
        client.clientHello();
        client.onServerHello(m2);
        return client.onSessionRecord(sessionRecord);
    }

    @Benchmark
    public ClientHandshake.Established bothSides() throws HandshakeException, RecordException {
        ServerHandshake server = new ServerHandshake(serverRandom);
        ClientHandshake client = new ClientHandshake(clientRandom);
        String b = server.onClientHello(client.clientHello(), registry);
        String c = client.onServerHello(b);
        return client.onSessionRecord(server.onClientAuth(c).sessionRecord(TOKEN, EXPIRES_AT_SECONDS));
    }
}
