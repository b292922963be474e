package io.aegis.protocol.handshake;

import io.aegis.protocol.IdentityKeyPair;
import io.aegis.protocol.IdentityPublicKey;
import io.aegis.protocol.Identifiers;
import io.aegis.protocol.PinnedBackendKeys;
import io.aegis.protocol.Protocol;
import io.aegis.protocol.WireFormatException;
import io.aegis.protocol.WireJson;
import io.aegis.protocol.crypto.Secrets;
import io.aegis.protocol.crypto.X25519;
import io.aegis.protocol.record.OpenedRecord;
import io.aegis.protocol.record.RecordException;
import io.aegis.protocol.record.SecureChannel;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Arrays;
import java.util.Objects;
import javax.crypto.AEADBadTagException;

/**
 * The agent side of the handshake, one instance per connection attempt:
 *
 * <pre>
 *   {@link #clientHello()}              → M1 frame to send
 *   {@link #onServerHello(String)}      ← M2 frame; → M3 frame to send
 *   {@link #onSessionRecord(String)}    ← the gateway's first record; → {@link Established}
 * </pre>
 *
 * <p>The gateway is authenticated by its signature over the transcript, verified against a
 * {@link PinnedBackendKeys pinned} key chosen by the key id inside M2 (never a key from the
 * network). The session record is the key confirmation: it opens only under the derived keys,
 * and its {@code backend_key} and {@code session_id} must match the handshake.
 *
 * <p>Any failure throws {@link HandshakeException} and leaves this object refusing all calls. If
 * the gateway answers with the generic failure frame, the reason is
 * {@link HandshakeException.Reason#REJECTED_BY_SERVER}.
 *
 * <p>Ephemeral secrets are drawn from {@link Config#random()}: 32 bytes for the X25519 private
 * key, then 32 bytes for the nonce {@code nA}. Not thread-safe; callers serialize.
 */
public final class ClientHandshake {

    /**
     * Settings of an agent; immutable and thread-safe.
     *
     * @param agentId       this agent's id
     * @param agentKey      this agent's identity key pair
     * @param backendKeys   the pinned backend keys; {@code backend_key_id} names the current one
     * @param clock         wall clock for the client_hello timestamp and record timestamps
     * @param random        source of ephemeral keys and nonces
     * @param maxFrameBytes largest record frame accepted after the handshake (≥ 1024)
     */
    public record Config(String agentId, IdentityKeyPair agentKey, PinnedBackendKeys backendKeys, Clock clock,
                         SecureRandom random, int maxFrameBytes) {
        /** Validates the settings. */
        public Config {
            Identifiers.requireAgentId(agentId);
            Objects.requireNonNull(agentKey, "agentKey");
            Objects.requireNonNull(backendKeys, "backendKeys");
            Objects.requireNonNull(clock, "clock");
            Objects.requireNonNull(random, "random");
            if (maxFrameBytes < 1024) {
                throw new IllegalArgumentException("maxFrameBytes must be at least 1024, was " + maxFrameBytes);
            }
        }
    }

    /**
     * A completed agent handshake.
     *
     * @param channel    the session's record layer (the session record already opened)
     * @param response   the gateway's {@link AuthenticationResponse} (session token, expiry, session id)
     * @param backendKey the pinned backend key that signed the handshake
     */
    public record Established(SecureChannel channel, AuthenticationResponse response, IdentityPublicKey backendKey) {
    }

    private enum State { START, EXPECT_SERVER_HELLO, EXPECT_SESSION, DONE, FAILED }

    private final Config config;
    private State state = State.START;
    private byte[] eAPrivate;
    private byte[] chBytes;
    private byte[] eB;
    private byte[] sessionId;
    private IdentityPublicKey backendKey;
    private SecureChannel channel;

    /** Creates the handshake of one connection attempt. */
    public ClientHandshake(Config config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    /** Builds M1 (once). */
    public String clientHello() {
        if (state != State.START) {
            throw new IllegalStateException("client_hello was already built");
        }
        eAPrivate = X25519.generatePrivate(config.random());
        byte[] nA = new byte[32];
        config.random().nextBytes(nA);
        ClientHello h = new ClientHello(Protocol.VERSION, Protocol.SUITE, config.agentId(),
                config.agentKey().publicKey().encoded(), config.backendKeys().current().keyId(),
                X25519.publicKey(eAPrivate), nA, config.clock().millis());
        chBytes = h.canonicalBytes();
        state = State.EXPECT_SERVER_HELLO;
        return WireJson.encode(h);
    }

    /** Processes M2 and returns M3. */
    public String onServerHello(String frame) throws HandshakeException {
        expect(State.EXPECT_SERVER_HELLO);
        KeySchedule schedule = null;
        try {
            ServerHello sh = decodeServerHello(frame);
            if (sh.version() != Protocol.VERSION) {
                throw new HandshakeException(HandshakeException.Reason.UNSUPPORTED_VERSION, "server_hello version " + sh.version());
            }
            if (!sh.suite().equals(Protocol.SUITE)) {
                throw new HandshakeException(HandshakeException.Reason.UNSUPPORTED_SUITE, "server_hello suite not supported");
            }
            eB = sh.backendKey();
            if (X25519.isLowOrder(eB)) {
                throw new HandshakeException(HandshakeException.Reason.LOW_ORDER_EPHEMERAL,
                        "server_hello backend_key is a low-order point");
            }
            byte[] ss = X25519.agree(eAPrivate, eB);
            Secrets.erase(eAPrivate);
            if (ss == null) {
                throw new HandshakeException(HandshakeException.Reason.ZERO_SHARED_SECRET, "X25519 result is all zeros");
            }
            schedule = new KeySchedule(chBytes, sh.canonicalBytes(), ss);
            byte[] c = sh.sealed();
            byte[] plaintext;
            try {
                plaintext = ServerHandshake.openWith(schedule.sHs, schedule.thHello, c);
            } catch (AEADBadTagException e) {
                throw new HandshakeException(HandshakeException.Reason.DECRYPT_FAILED, "server_hello failed authentication");
            }
            byte[] keyId = Arrays.copyOfRange(plaintext, 0, 8);
            byte[] sigB = Arrays.copyOfRange(plaintext, 8, 72);
            backendKey = config.backendKeys().find(keyId);
            if (backendKey == null) {
                throw new HandshakeException(HandshakeException.Reason.UNKNOWN_BACKEND_KEY,
                        "server_hello was signed by a backend key that is not pinned");
            }
            byte[] agentPublic = config.agentKey().publicKey().encoded();
            if (!backendKey.verify(Protocol.CONTEXT_SERVER_HANDSHAKE,
                    schedule.transcript(backendKey.encoded(), agentPublic), sigB)) {
                throw new HandshakeException(HandshakeException.Reason.BAD_SIGNATURE,
                        "server_hello signature does not verify under the pinned backend key");
            }
            byte[] sigA = config.agentKey().sign(Protocol.CONTEXT_CLIENT_HANDSHAKE,
                    schedule.transcript(c, backendKey.encoded(), agentPublic));
            byte[] c3 = ServerHandshake.sealWith(schedule.cHs, schedule.transcript(c), sigA);
            KeySchedule.Traffic t = schedule.finish(schedule.transcript(c, c3));
            sessionId = t.sessionId();
            channel = SecureChannel.create(SecureChannel.Role.CLIENT, t.sessionId(), t.clientSecret(),
                    t.serverSecret(), config.clock(), config.maxFrameBytes());
            t.erase();
            state = State.EXPECT_SESSION;
            return WireJson.encode(new ClientAuth(c3));
        } catch (HandshakeException e) {
            if (schedule != null) {
                schedule.erase();
            }
            throw fail(e);
        }
    }

    private static ServerHello decodeServerHello(String frame) throws HandshakeException {
        try {
            return WireJson.decodeServerHello(frame);
        } catch (WireFormatException e) {
            throw rejectedOr(frame, "server_hello: " + e.getMessage(), e);
        }
    }

    /** The gateway's generic failure frame, or else a malformed message. */
    private static HandshakeException rejectedOr(String frame, String message, Exception cause) {
        try {
            if (!WireJson.decodeAuthenticationResponse(frame).success()) {
                return new HandshakeException(HandshakeException.Reason.REJECTED_BY_SERVER, "gateway refused the handshake");
            }
        } catch (WireFormatException ignored) {
            // Not a failure frame either: report the original problem.
        }
        return new HandshakeException(HandshakeException.Reason.MALFORMED, message, cause);
    }

    /**
     * Opens the gateway's first record (the session record) and checks it against the
     * handshake: its body is a successful {@link AuthenticationResponse} whose
     * {@code backend_key} is the gateway's ephemeral value from M2 and whose {@code session_id}
     * is the derived one, with {@code protocol_version} 1.
     */
    public Established onSessionRecord(String frame) throws HandshakeException {
        expect(State.EXPECT_SESSION);
        try {
            OpenedRecord r;
            try {
                r = channel.open(frame);
            } catch (RecordException e) {
                if (e.reason() == RecordException.Reason.MALFORMED) {
                    throw rejectedOr(frame, "session record: " + e.getMessage(), e);
                }
                throw new HandshakeException(HandshakeException.Reason.BAD_SESSION_RECORD,
                        "session record: " + e.getMessage(), e);
            }
            AuthenticationResponse response;
            try {
                response = WireJson.decodeAuthenticationResponse(r.bodyText());
            } catch (WireFormatException e) {
                throw new HandshakeException(HandshakeException.Reason.BAD_SESSION_RECORD,
                        "session record body: " + e.getMessage(), e);
            }
            if (!response.success() || response.protocolVersion() != Protocol.VERSION
                    || !Arrays.equals(response.backendKey(), eB) || !Arrays.equals(response.sessionId(), sessionId)) {
                throw new HandshakeException(HandshakeException.Reason.BAD_SESSION_RECORD,
                        "session record does not match the handshake");
            }
            state = State.DONE;
            return new Established(channel, response, backendKey);
        } catch (HandshakeException e) {
            throw fail(e);
        }
    }

    private void expect(State expected) throws HandshakeException {
        if (state != expected) {
            throw fail(new HandshakeException(HandshakeException.Reason.UNEXPECTED_MESSAGE,
                    "handshake is in state " + state + ", not " + expected));
        }
    }

    private HandshakeException fail(HandshakeException e) {
        state = State.FAILED;
        Secrets.erase(eAPrivate);
        if (channel != null) {
            channel.close();
        }
        return e;
    }
}
