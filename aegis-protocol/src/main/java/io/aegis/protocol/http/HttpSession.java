package io.aegis.protocol.http;

import io.aegis.protocol.WireJson;
import io.aegis.protocol.crypto.Hex;
import io.aegis.protocol.crypto.Secrets;
import io.aegis.protocol.record.RecordException;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Arrays;
import java.util.Objects;

/**
 * The record keys of one HTTP session: {@code c_ap}, {@code s_ap} and {@code session_id}, as
 * established by {@code POST /api/v1/auth} with an {@code ephemeral_key} ({@link HttpSessionKeys}).
 * Every poll and every post is an exchange of its own ({@link HttpExchange}), keyed from these
 * secrets and fresh nonces, so the session keeps no counters and requests may run concurrently
 * and be retried.
 *
 * <pre>
 * agent                                                gateway
 *   {@link #newPoll}  → header X-Aegis-Client-Nonce ─────▶  {@link #newAnswer}(client nonce) → seal records
 *   {@link AgentPoll#openAnswer} ◀──────────── {"server_nonce","records"}
 *   {@link #newPost}  → seal records → {"nonce","records"} ─▶  {@link #openPost}
 *   {@link AgentPost#openAnswer} ◀──────────── {"server_nonce","records"} ◀─ {@link #newAnswer}(post nonce)
 * </pre>
 *
 * <p>Thread-safe: the session is immutable until {@link #close()}, and each exchange object is
 * used by one thread. Close it to erase the secrets.
 */
public final class HttpSession implements AutoCloseable {

    /** Length of {@link #export()}: c_ap(32) ‖ s_ap(32) ‖ session_id(16). */
    public static final int EXPORT_LENGTH = 80;

    private final byte[] clientSecret;
    private final byte[] serverSecret;
    private final byte[] sessionId;
    private final Clock clock;
    private final int maxFrameBytes;
    private volatile boolean closed;

    private HttpSession(byte[] sessionId, byte[] clientSecret, byte[] serverSecret, Clock clock, int maxFrameBytes) {
        if (sessionId == null || sessionId.length != 16) {
            throw new IllegalArgumentException("session id must be 16 bytes");
        }
        if (clientSecret == null || clientSecret.length != 32 || serverSecret == null || serverSecret.length != 32) {
            throw new IllegalArgumentException("traffic secrets must be 32 bytes");
        }
        if (maxFrameBytes < 1024) {
            throw new IllegalArgumentException("maxFrameBytes must be at least 1024, was " + maxFrameBytes);
        }
        this.sessionId = sessionId.clone();
        this.clientSecret = clientSecret.clone();
        this.serverSecret = serverSecret.clone();
        this.clock = Objects.requireNonNull(clock, "clock");
        this.maxFrameBytes = maxFrameBytes;
    }

    /**
     * A session from its secrets (copied; the caller erases its own).
     *
     * @param clock         the clock that timestamps sealed records
     * @param maxFrameBytes largest record produced, in UTF-8 bytes of its JSON (at least 1024), and
     *                      largest record payload accepted
     */
    public static HttpSession create(byte[] sessionId, byte[] clientSecret, byte[] serverSecret, Clock clock,
                                     int maxFrameBytes) {
        return new HttpSession(sessionId, clientSecret, serverSecret, clock, maxFrameBytes);
    }

    /** A session from the 80 bytes of {@link #export()} (copied; the caller erases its own). */
    public static HttpSession restore(byte[] exported, Clock clock, int maxFrameBytes) {
        if (exported == null || exported.length != EXPORT_LENGTH) {
            throw new IllegalArgumentException("an exported HTTP session is " + EXPORT_LENGTH + " bytes");
        }
        byte[] c = Arrays.copyOfRange(exported, 0, 32);
        byte[] s = Arrays.copyOfRange(exported, 32, 64);
        try {
            return new HttpSession(Arrays.copyOfRange(exported, 64, 80), c, s, clock, maxFrameBytes);
        } finally {
            Secrets.erase(c, s);
        }
    }

    /**
     * The secrets as {@code c_ap ‖ s_ap ‖ session_id} (80 bytes), for a gateway to keep with the
     * session token, encrypted. The caller erases the array.
     */
    public byte[] export() {
        checkOpen();
        byte[] out = new byte[EXPORT_LENGTH];
        System.arraycopy(clientSecret, 0, out, 0, 32);
        System.arraycopy(serverSecret, 0, out, 32, 32);
        System.arraycopy(sessionId, 0, out, 64, 16);
        return out;
    }

    /** The 16-byte session id (a copy). */
    public byte[] sessionId() {
        return sessionId.clone();
    }

    /** The session id as 32 lowercase hex characters. */
    public String sessionIdHex() {
        return Hex.encode(sessionId);
    }

    /** Largest record frame produced and accepted, in bytes. */
    public int maxFrameBytes() {
        return maxFrameBytes;
    }

    // ------------------------------------------------------------------ agent side

    /** Starts a poll: draws a fresh 32-byte {@code client_nonce} from {@code random}. */
    public AgentPoll newPoll(SecureRandom random) {
        checkOpen();
        return new AgentPoll(this, nonce(random, HttpExchange.CLIENT_NONCE_LENGTH));
    }

    /** Starts a post: draws a fresh 32-byte {@code client_nonce} (the body's {@code nonce}) from {@code random}. */
    public AgentPost newPost(SecureRandom random) {
        checkOpen();
        return new AgentPost(this, nonce(random, HttpExchange.CLIENT_NONCE_LENGTH));
    }

    // ------------------------------------------------------------------ gateway side

    /**
     * Opens the body of an agent's post ({@code {"nonce","records"}}): every record, in order, or
     * none. The caller must still refuse a {@code nonce} this session has already used (the
     * replay check is the caller's, since it needs storage).
     *
     * @throws RecordException MALFORMED for a body that is not a valid post, TOO_LARGE for more
     *     than {@link HttpExchange#MAX_RECORDS} records or a record beyond {@link #maxFrameBytes()},
     *     or the record layer's reason for the first record that does not open
     */
    public ReceivedPost openPost(byte[] body) throws RecordException {
        checkOpen();
        RecordBatch batch = HttpExchange.decode(body, WireJson.AGENT_POST_NONCE, HttpExchange.CLIENT_NONCE_LENGTH,
                maxFrameBytes);
        byte[] nonce = batch.nonce();
        return new ReceivedPost(nonce,
                HttpExchange.openAll(HttpExchange.serverOpener(this, nonce), batch.records(), clock.millis()));
    }

    /**
     * Starts the gateway's answer to a poll or a post: draws a fresh 16-byte {@code server_nonce}.
     *
     * @param clientNonce the poll's {@code X-Aegis-Client-Nonce}, or the post's {@code nonce} (32 bytes)
     */
    public GatewayAnswer newAnswer(byte[] clientNonce, SecureRandom random) {
        checkOpen();
        byte[] serverNonce = nonce(random, HttpExchange.SERVER_NONCE_LENGTH);
        return new GatewayAnswer(HttpExchange.serverSealer(this, clientNonce, serverNonce), serverNonce, clock);
    }

    /** Erases the secrets; every later use fails. Idempotent. */
    @Override
    public void close() {
        closed = true;
        Secrets.erase(clientSecret, serverSecret);
    }

    // ------------------------------------------------------------------ package

    byte[] clientSecret() {
        checkOpen();
        return clientSecret;
    }

    byte[] serverSecret() {
        checkOpen();
        return serverSecret;
    }

    byte[] sessionIdRaw() {
        return sessionId;
    }

    Clock clock() {
        return clock;
    }

    private static byte[] nonce(SecureRandom random, int length) {
        byte[] n = new byte[length];
        random.nextBytes(n);
        return n;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("HTTP session is closed");
        }
    }

    @Override
    public String toString() {
        return "HttpSession[" + sessionIdHex() + (closed ? ", closed" : "") + "]";
    }
}
