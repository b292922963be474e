package io.aegis.protocol.handshake;

import io.aegis.protocol.BackendKeyRing;
import io.aegis.protocol.IdentityKeyPair;
import io.aegis.protocol.IdentityPublicKey;
import io.aegis.protocol.Identifiers;
import io.aegis.protocol.MessageTypes;
import io.aegis.protocol.Protocol;
import io.aegis.protocol.WireFormatException;
import io.aegis.protocol.WireJson;
import io.aegis.protocol.crypto.Aead;
import io.aegis.protocol.crypto.ByteWriter;
import io.aegis.protocol.crypto.Secrets;
import io.aegis.protocol.crypto.TrafficKeys;
import io.aegis.protocol.crypto.X25519;
import io.aegis.protocol.record.RecordException;
import io.aegis.protocol.record.SecureChannel;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import javax.crypto.AEADBadTagException;

/**
 * The gateway side of the handshake, one instance per connection:
 *
 * <pre>
 *   agent                                   gateway
 *   M1 client_hello  ───────────────────▶   {@link #receiveClientHello(String)}, then
 *                                           {@link #respond(IdentityPublicKey)} (or both:
 *                                           {@link #onClientHello(String, AgentKeyLookup)})
 *                    ◀───────────────────   M2 server_hello
 *   M3 client_auth   ───────────────────▶   {@link #onClientAuth(String)}
 *                    ◀───────────────────   session record: {@link Established#sessionRecord(String, long)}
 * </pre>
 *
 * <p>Any failure throws {@link HandshakeException}; the caller then sends
 * {@link #FAILURE_FRAME} and closes with 4001, the same for every reason, and logs
 * {@link HandshakeException#reason()}. Nothing received before {@link #onClientAuth} succeeds is
 * dispatched anywhere: this object accepts exactly M1 then M3 and refuses anything else, a
 * second M1 included.
 *
 * <p>Ephemeral secrets are drawn from {@link Config#random()}: 32 bytes for the X25519 private
 * key, then 32 bytes for the nonce {@code nB} (tests inject a scripted source to reproduce the
 * test vectors). They and the handshake secrets are erased as soon as they are no longer needed.
 *
 * <p>Not thread-safe; callers serialize (one connection, one event loop).
 */
public final class ServerHandshake {

    /** The clear failure frame, identical for every failure: {@code {"success":false,"message":"authentication failed"}}. */
    public static final String FAILURE_FRAME = WireJson.encode(AuthenticationResponse.failure());

    /** Looks up the registered key of an agent. */
    @FunctionalInterface
    public interface AgentKeyLookup {
        /** The registered, active key of {@code agentId}, or {@code null} if unknown or inactive. */
        IdentityPublicKey registeredKey(String agentId);
    }

    /**
     * Settings shared by every handshake of a gateway; immutable and thread-safe.
     *
     * @param backendKeys   the backend identity keys (current, next)
     * @param clock         wall clock for the timestamp check and record timestamps
     * @param random        source of ephemeral keys and nonces
     * @param maxClockSkew  largest accepted |now − client_hello.timestamp|
     * @param maxFrameBytes largest record frame accepted after the handshake (≥ 1024)
     */
    public record Config(BackendKeyRing backendKeys, Clock clock, SecureRandom random, Duration maxClockSkew,
                         int maxFrameBytes) {
        /** Validates the settings. */
        public Config {
            Objects.requireNonNull(backendKeys, "backendKeys");
            Objects.requireNonNull(clock, "clock");
            Objects.requireNonNull(random, "random");
            Objects.requireNonNull(maxClockSkew, "maxClockSkew");
            if (maxClockSkew.isNegative()) {
                throw new IllegalArgumentException("maxClockSkew must not be negative");
            }
            if (maxFrameBytes < 1024) {
                throw new IllegalArgumentException("maxFrameBytes must be at least 1024, was " + maxFrameBytes);
            }
        }
    }

    private enum State { EXPECT_CLIENT_HELLO, EXPECT_LOOKUP, EXPECT_CLIENT_AUTH, DONE, FAILED }

    private final Config config;
    private State state = State.EXPECT_CLIENT_HELLO;
    private ClientHello hello;
    private byte[] chBytes;
    private IdentityPublicKey agentKey;
    private IdentityPublicKey backendPublic;
    private byte[] eB;
    private byte[] m2Sealed;
    private KeySchedule schedule;

    /** Creates the handshake of one connection. */
    public ServerHandshake(Config config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    /**
     * Step 1: decodes and checks M1 without touching the agent registry (size, syntax, version,
     * suite, agent id, timestamp, ephemeral value). The caller then looks up the agent's
     * registered key (possibly asynchronously) and calls {@link #respond(IdentityPublicKey)}.
     */
    public ClientHello receiveClientHello(String frame) throws HandshakeException {
        expect(State.EXPECT_CLIENT_HELLO);
        try {
            ClientHello h;
            try {
                h = WireJson.decodeClientHello(frame);
            } catch (WireFormatException e) {
                throw new HandshakeException(HandshakeException.Reason.MALFORMED, "client_hello: " + e.getMessage(), e);
            }
            if (h.version() != Protocol.VERSION) {
                throw new HandshakeException(HandshakeException.Reason.UNSUPPORTED_VERSION,
                        "client_hello version " + h.version());
            }
            if (!h.suite().equals(Protocol.SUITE)) {
                throw new HandshakeException(HandshakeException.Reason.UNSUPPORTED_SUITE, "client_hello suite not supported");
            }
            String idError = Identifiers.agentIdError(h.agentId());
            if (idError != null) {
                throw new HandshakeException(HandshakeException.Reason.INVALID_AGENT_ID, idError);
            }
            long skew = Math.abs(config.clock().millis() - h.timestamp());
            if (skew > config.maxClockSkew().toMillis()) {
                throw new HandshakeException(HandshakeException.Reason.CLOCK_SKEW,
                        "client_hello timestamp is " + skew + " ms away from the gateway clock");
            }
            if (X25519.isLowOrder(h.ephemeralKey())) {
                throw new HandshakeException(HandshakeException.Reason.LOW_ORDER_EPHEMERAL,
                        "client_hello ephemeral_key is a low-order point");
            }
            hello = h;
            chBytes = h.canonicalBytes();
            state = State.EXPECT_LOOKUP;
            return h;
        } catch (HandshakeException e) {
            throw fail(e);
        }
    }

    /**
     * Step 2: checks that the agent's public key in M1 is its registered key and answers with M2.
     *
     * @param registeredKey the agent's registered, active key, or {@code null} if the agent is
     *                      unknown or inactive (which fails exactly like a mismatch)
     * @return the M2 frame to send
     */
    public String respond(IdentityPublicKey registeredKey) throws HandshakeException {
        expect(State.EXPECT_LOOKUP);
        byte[] eBPrivate = null;
        try {
            if (registeredKey == null) {
                throw new HandshakeException(HandshakeException.Reason.UNKNOWN_AGENT, "agent unknown or inactive");
            }
            if (!registeredKey.matches(hello.publicKey())) {
                throw new HandshakeException(HandshakeException.Reason.KEY_MISMATCH,
                        "client_hello public_key is not the registered key");
            }
            agentKey = registeredKey;
            eBPrivate = X25519.generatePrivate(config.random());
            byte[] nB = new byte[32];
            config.random().nextBytes(nB);
            eB = X25519.publicKey(eBPrivate);
            byte[] ss = X25519.agree(eBPrivate, hello.ephemeralKey());
            Secrets.erase(eBPrivate);
            if (ss == null) {
                throw new HandshakeException(HandshakeException.Reason.ZERO_SHARED_SECRET, "X25519 result is all zeros");
            }
            byte[] sh = ServerHello.canonicalBytes(Protocol.VERSION, Protocol.SUITE, eB, nB);
            schedule = new KeySchedule(chBytes, sh, ss);

            IdentityKeyPair backend = config.backendKeys().select(hello.backendKeyId());
            backendPublic = backend.publicKey();
            byte[] sigB = backend.sign(Protocol.CONTEXT_SERVER_HANDSHAKE,
                    schedule.transcript(backendPublic.encoded(), agentKey.encoded()));
            byte[] plaintext = new ByteWriter(72).raw(backendPublic.keyId()).raw(sigB).toByteArray();
            m2Sealed = sealWith(schedule.sHs, schedule.thHello, plaintext);
            Secrets.erase(schedule.sHs);
            state = State.EXPECT_CLIENT_AUTH;
            return WireJson.encode(new ServerHello(Protocol.VERSION, Protocol.SUITE, eB, nB, m2Sealed));
        } catch (HandshakeException e) {
            Secrets.erase(eBPrivate);
            throw fail(e);
        }
    }

    /** Steps 1 and 2 with a synchronous registry lookup. */
    public String onClientHello(String frame, AgentKeyLookup lookup) throws HandshakeException {
        ClientHello h = receiveClientHello(frame);
        return respond(lookup.registeredKey(h.agentId()));
    }

    /**
     * Step 3: opens M3, verifies the agent's transcript signature against its registered key, and
     * derives the session. The caller then sends {@link Established#sessionRecord(String, long)}.
     */
    public Established onClientAuth(String frame) throws HandshakeException {
        expect(State.EXPECT_CLIENT_AUTH);
        try {
            ClientAuth auth;
            try {
                auth = WireJson.decodeClientAuth(frame);
            } catch (WireFormatException e) {
                throw new HandshakeException(HandshakeException.Reason.MALFORMED, "client_auth: " + e.getMessage(), e);
            }
            byte[] c3 = auth.sealed();
            byte[] thM2 = schedule.transcript(m2Sealed);
            byte[] sigA;
            try {
                sigA = openWith(schedule.cHs, thM2, c3);
            } catch (AEADBadTagException e) {
                throw new HandshakeException(HandshakeException.Reason.DECRYPT_FAILED, "client_auth failed authentication");
            }
            byte[] digest = schedule.transcript(m2Sealed, backendPublic.encoded(), agentKey.encoded());
            if (!agentKey.verify(Protocol.CONTEXT_CLIENT_HANDSHAKE, digest, sigA)) {
                throw new HandshakeException(HandshakeException.Reason.BAD_SIGNATURE,
                        "client_auth signature does not verify under the registered key");
            }
            KeySchedule.Traffic t = schedule.finish(schedule.transcript(m2Sealed, c3));
            SecureChannel channel = SecureChannel.create(SecureChannel.Role.SERVER, t.sessionId(), t.clientSecret(),
                    t.serverSecret(), config.clock(), config.maxFrameBytes());
            t.erase();
            state = State.DONE;
            return new Established(hello.agentId(), agentKey, backendPublic, eB, t.sessionId(), channel);
        } catch (HandshakeException e) {
            throw fail(e);
        }
    }

    static byte[] sealWith(byte[] secret, byte[] aad, byte[] plaintext) {
        byte[] key = TrafficKeys.key(secret);
        byte[] iv = TrafficKeys.iv(secret);
        try {
            return Aead.sealOnce(key, TrafficKeys.nonce(iv, 0), aad, plaintext);
        } finally {
            Secrets.erase(key, iv);
        }
    }

    static byte[] openWith(byte[] secret, byte[] aad, byte[] sealed) throws AEADBadTagException {
        byte[] key = TrafficKeys.key(secret);
        byte[] iv = TrafficKeys.iv(secret);
        try {
            return Aead.openOnce(key, TrafficKeys.nonce(iv, 0), aad, sealed);
        } finally {
            Secrets.erase(key, iv);
        }
    }

    private void expect(State expected) throws HandshakeException {
        if (state != expected) {
            HandshakeException e = new HandshakeException(HandshakeException.Reason.UNEXPECTED_MESSAGE,
                    "handshake is in state " + state + ", not " + expected);
            throw fail(e);
        }
    }

    private HandshakeException fail(HandshakeException e) {
        state = State.FAILED;
        if (schedule != null) {
            schedule.erase();
        }
        return e;
    }

    /**
     * A completed gateway handshake: who the agent is and its {@link SecureChannel}. The first
     * record sent on the channel must be {@link #sessionRecord(String, long)}.
     */
    public static final class Established {
        private final String agentId;
        private final IdentityPublicKey agentKey;
        private final IdentityPublicKey backendKey;
        private final byte[] backendEphemeral;
        private final byte[] sessionId;
        private final SecureChannel channel;
        private boolean sessionSent;

        Established(String agentId, IdentityPublicKey agentKey, IdentityPublicKey backendKey, byte[] backendEphemeral,
                    byte[] sessionId, SecureChannel channel) {
            this.agentId = agentId;
            this.agentKey = agentKey;
            this.backendKey = backendKey;
            this.backendEphemeral = backendEphemeral.clone();
            this.sessionId = sessionId.clone();
            this.channel = channel;
        }

        /** The authenticated agent id. */
        public String agentId() {
            return agentId;
        }

        /** The agent's registered key, which signed the transcript. */
        public IdentityPublicKey agentKey() {
            return agentKey;
        }

        /** The backend identity key that signed the handshake. */
        public IdentityPublicKey backendKey() {
            return backendKey;
        }

        /** The 16-byte session id (a copy). */
        public byte[] sessionId() {
            return sessionId.clone();
        }

        /** The session id as 32 lowercase hex characters. */
        public String sessionIdHex() {
            return channel.sessionIdHex();
        }

        /** The session's record layer. */
        public SecureChannel channel() {
            return channel;
        }

        /**
         * Seals the session record (type {@code session}, channel {@code control}, id
         * {@code "session"}, s→c epoch 0 sequence 0) carrying the successful
         * {@link AuthenticationResponse}. Call once, before any other record.
         *
         * @param sessionToken     opaque token (1..512 printable ASCII) chosen by the server
         * @param expiresAtSeconds session expiry, unix seconds
         * @return the frame to send
         */
        public String sessionRecord(String sessionToken, long expiresAtSeconds) throws RecordException {
            if (sessionSent) {
                throw new IllegalStateException("the session record was already sent");
            }
            AuthenticationResponse r = AuthenticationResponse.success(backendEphemeral, sessionToken, expiresAtSeconds,
                    sessionId);
            byte[] body = WireJson.encode(r).getBytes(StandardCharsets.UTF_8);
            String frame = WireJson.encode(channel.seal(Protocol.SESSION_RECORD_ID, MessageTypes.SESSION,
                    Protocol.CONTROL_CHANNEL, Map.of(), body));
            sessionSent = true;
            return frame;
        }
    }
}
