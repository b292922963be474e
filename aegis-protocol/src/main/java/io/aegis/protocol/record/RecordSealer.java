package io.aegis.protocol.record;

import io.aegis.protocol.Identifiers;
import io.aegis.protocol.MessageTypes;
import io.aegis.protocol.Protocol;
import io.aegis.protocol.SecureMessage;
import io.aegis.protocol.WireJson;
import io.aegis.protocol.crypto.Aead;
import io.aegis.protocol.crypto.Secrets;
import io.aegis.protocol.crypto.StrictBase64;
import io.aegis.protocol.crypto.TrafficKeys;
import java.util.Map;

/**
 * The sending half of a {@link SecureChannel}: seals records of one direction under that
 * direction's traffic secret, with nonce {@code iv XOR (0^32 ‖ u64(seq))} and the record's
 * associated data. {@code seq} starts at 0 in every epoch and never repeats under one key.
 *
 * <p>Not thread-safe; callers serialize. Obtained from {@link SecureChannel#sealer()}, or for one
 * HTTP exchange from {@link #forExchange}.
 */
public final class RecordSealer {

    private final byte[] sessionId;
    private final byte direction;
    private final int maxFrameBytes;
    private final boolean exchange;
    private byte[] secret;
    private byte[] iv;
    private final Aead aead;
    private long epoch;
    private long seq;
    private long epochStartMillis;
    private long totalRecords;
    private boolean closed;

    RecordSealer(byte[] sessionId, byte direction, byte[] secret, int maxFrameBytes, long nowMillis) {
        this(sessionId, direction, secret, maxFrameBytes, nowMillis, 0, false);
    }

    /** Package-private for tests that start near the sequence limit. */
    RecordSealer(byte[] sessionId, byte direction, byte[] secret, int maxFrameBytes, long nowMillis, long firstSeq) {
        this(sessionId, direction, secret, maxFrameBytes, nowMillis, firstSeq, false);
    }

    private RecordSealer(byte[] sessionId, byte direction, byte[] secret, int maxFrameBytes, long nowMillis,
                         long firstSeq, boolean exchange) {
        this.sessionId = sessionId.clone();
        this.direction = direction;
        this.maxFrameBytes = maxFrameBytes;
        this.exchange = exchange;
        this.secret = secret.clone();
        byte[] key = TrafficKeys.key(this.secret);
        this.aead = new Aead(key);
        Secrets.erase(key);
        this.iv = TrafficKeys.iv(this.secret);
        this.epochStartMillis = nowMillis;
        this.seq = firstSeq;
    }

    /**
     * A sealer for the records of one HTTP exchange (docs/PROTOCOL.md, "HTTP transport"): the
     * same nonces and associated data as a session's record layer, with sequence numbers from 0
     * under a secret used for this exchange only, but no {@code session} record, no key update and
     * no epochs. Callers normally use {@code io.aegis.protocol.http.HttpExchange} rather than
     * this factory.
     *
     * @param sessionId     the 16-byte session id bound into every record's associated data
     * @param direction     {@link Protocol#DIRECTION_SERVER_TO_CLIENT} or {@link Protocol#DIRECTION_CLIENT_TO_SERVER}
     * @param secret        the exchange's 32-byte traffic secret (copied; the caller erases its own)
     * @param maxFrameBytes largest record frame produced, in UTF-8 bytes (at least 1024)
     */
    public static RecordSealer forExchange(byte[] sessionId, byte direction, byte[] secret, int maxFrameBytes) {
        if (maxFrameBytes < 1024) {
            throw new IllegalArgumentException("maxFrameBytes must be at least 1024, was " + maxFrameBytes);
        }
        RecordFormat.checkExchangeKeys(sessionId, direction, secret);
        return new RecordSealer(sessionId, direction, secret, maxFrameBytes, 0, 0, true);
    }

    /**
     * Seals one record.
     *
     * @param block a precomputed signature block over exactly (id, type, channel, body), or null
     * @throws IllegalArgumentException for an invalid name or header (nothing is consumed)
     * @throws IllegalStateException if the record cannot fit {@code maxFrameBytes}, or a
     *     {@code session} record is out of place (nothing is consumed)
     * @throws RecordException if the channel is closed or the sequence limit is reached
     */
    public SecureMessage seal(String id, String type, String channel, Map<String, String> headers, long timestamp,
                              SignedBlock block, byte[] body) throws RecordException {
        Identifiers.requireMessageId(id);
        Identifiers.requireMessageType(type);
        Identifiers.requireChannel(channel);
        Identifiers.requireHeaders(headers);
        if (timestamp < 0) {
            throw new IllegalArgumentException("timestamp must be ≥ 0");
        }
        checkPlacement(type, channel);
        if (type.equals(MessageTypes.KEY_UPDATE)) {
            throw new IllegalArgumentException("key_update records are sealed by SecureChannel.sealKeyUpdate");
        }
        // The last sequence number of an epoch is kept for the key_update record.
        return sealChecked(id, type, channel, headers, timestamp, block, body, Protocol.MAX_RECORDS_PER_EPOCH - 1);
    }

    /** Seals a {@code key_update} record, then switches this direction to the next epoch. */
    SecureMessage sealKeyUpdate(boolean updateRequested, long timestamp, long nowMillis) throws RecordException {
        if (exchange) {
            throw new IllegalStateException("an HTTP exchange has no key updates");
        }
        if (direction == Protocol.DIRECTION_SERVER_TO_CLIENT && epoch == 0 && seq == 0) {
            throw new IllegalStateException("the first gateway record must be the session record");
        }
        if (epoch >= 0xFFFF_FFFFL) {
            throw fail(RecordException.Reason.LIMIT, "epoch limit reached; open a new connection");
        }
        SecureMessage m = sealChecked("key_update:" + epoch, MessageTypes.KEY_UPDATE, Protocol.CONTROL_CHANNEL,
                Map.of(), timestamp, null, WireJson.encodeKeyUpdate(updateRequested), Protocol.MAX_RECORDS_PER_EPOCH);
        ratchet(nowMillis);
        return m;
    }

    private void checkPlacement(String type, String channel) {
        if (exchange) {
            if (type.equals(MessageTypes.SESSION)) {
                throw new IllegalArgumentException("an HTTP exchange carries no session record");
            }
            return;
        }
        boolean first = direction == Protocol.DIRECTION_SERVER_TO_CLIENT && epoch == 0 && seq == 0;
        boolean session = type.equals(MessageTypes.SESSION);
        if (first != session) {
            throw new IllegalStateException(first
                    ? "the first gateway record must be the session record"
                    : "a session record may only be the first gateway record");
        }
        if (session && !channel.equals(Protocol.CONTROL_CHANNEL)) {
            throw new IllegalArgumentException("the session record travels on channel 'control'");
        }
    }

    private SecureMessage sealChecked(String id, String type, String channel, Map<String, String> headers,
                                      long timestamp, SignedBlock block, byte[] body, long seqLimit)
            throws RecordException {
        if (closed) {
            throw new RecordException(RecordException.Reason.CLOSED, "channel is closed");
        }
        if (seq >= seqLimit) {
            // Not fatal: the caller can still send key_update, which has the last slot.
            throw new RecordException(RecordException.Reason.LIMIT,
                    "record limit of the epoch reached; send key_update first");
        }
        int plaintextLength = 1 + (block == null ? 0 : block.encodedLength()) + body.length;
        long bound = frameUpperBound(plaintextLength, id, type, channel, headers);
        if (bound > maxFrameBytes) {
            throw new IllegalStateException("record of " + body.length + " body bytes may exceed the frame limit of "
                    + maxFrameBytes + " bytes");
        }
        Map<String, String> sorted = new java.util.TreeMap<>(headers);
        byte[] nonce = TrafficKeys.nonce(iv, seq);
        byte[] aad = RecordFormat.aad(sessionId, direction, epoch, seq, id, type, channel, timestamp, sorted);
        byte[] pt = RecordFormat.plaintext(block, body);
        byte[] sealed = aead.seal(nonce, aad, pt);
        Secrets.erase(pt);
        seq++;
        totalRecords++;
        return new SecureMessage(id, type, channel, StrictBase64.encode(sealed), timestamp,
                StrictBase64.encode(nonce), "", sorted);
    }

    /**
     * A bound on the JSON frame length: base64 of ciphertext and tag, the fixed skeleton, the
     * names, and headers at 6 bytes per character (the worst JSON escape).
     */
    static long frameUpperBound(int plaintextLength, String id, String type, String channel,
                                Map<String, String> headers) {
        long n = StrictBase64.encodedLength(plaintextLength + Aead.TAG_LENGTH) + 160L
                + id.length() + type.length() + channel.length();
        for (Map.Entry<String, String> h : headers.entrySet()) {
            n += h.getKey().length() + 6L * h.getValue().length() + 6;
        }
        return n;
    }

    private void ratchet(long nowMillis) {
        byte[] next = TrafficKeys.next(secret);
        Secrets.erase(secret, iv);
        secret = next;
        byte[] key = TrafficKeys.key(secret);
        aead.rekey(key);
        Secrets.erase(key);
        iv = TrafficKeys.iv(secret);
        epoch++;
        seq = 0;
        epochStartMillis = nowMillis;
    }

    private RecordException fail(RecordException.Reason reason, String message) {
        close();
        return new RecordException(reason, message);
    }

    /** Current epoch (number of key updates sent). */
    public long epoch() {
        return epoch;
    }

    /** Next sequence number (records sealed in the current epoch). */
    public long seq() {
        return seq;
    }

    /** Records sealed since the channel opened, over all epochs. */
    public long totalRecords() {
        return totalRecords;
    }

    /** Clock reading (ms) when the current epoch began. */
    public long epochStartMillis() {
        return epochStartMillis;
    }

    /** Erases the traffic secret; every later seal fails. Idempotent. */
    public void close() {
        closed = true;
        Secrets.erase(secret, iv);
    }

    boolean isClosed() {
        return closed;
    }
}
