package io.aegis.protocol.record;

import io.aegis.protocol.MessageTypes;
import io.aegis.protocol.Protocol;
import io.aegis.protocol.SecureMessage;
import io.aegis.protocol.WireFormatException;
import io.aegis.protocol.WireJson;
import io.aegis.protocol.crypto.Aead;
import io.aegis.protocol.crypto.Secrets;
import io.aegis.protocol.crypto.StrictBase64;
import io.aegis.protocol.crypto.TrafficKeys;
import javax.crypto.AEADBadTagException;

/**
 * The receiving half of a {@link SecureChannel}: opens records of one direction, demanding the
 * next sequence number exactly. The envelope's {@code nonce} must equal, byte for byte, the nonce
 * of the next expected sequence number, so a replayed, reordered, dropped or reflected record
 * fails before decryption; any change to the clear fields fails the tag.
 *
 * <p>Not thread-safe; callers serialize. After any failure the opener is closed. Obtained from
 * {@link SecureChannel#opener()}, or for one HTTP exchange from {@link #forExchange}.
 */
public final class RecordOpener {

    private final byte[] sessionId;
    private final byte direction;
    private final boolean exchange;
    private byte[] secret;
    private byte[] iv;
    private final Aead aead;
    private long epoch;
    private long seq;
    private long epochStartMillis;
    private long totalRecords;
    private String expectedNonce;
    private boolean closed;

    RecordOpener(byte[] sessionId, byte direction, byte[] secret, long nowMillis) {
        this(sessionId, direction, secret, nowMillis, false);
    }

    private RecordOpener(byte[] sessionId, byte direction, byte[] secret, long nowMillis, boolean exchange) {
        this.sessionId = sessionId.clone();
        this.direction = direction;
        this.exchange = exchange;
        this.secret = secret.clone();
        byte[] key = TrafficKeys.key(this.secret);
        this.aead = new Aead(key);
        Secrets.erase(key);
        this.iv = TrafficKeys.iv(this.secret);
        this.epochStartMillis = nowMillis;
        this.expectedNonce = StrictBase64.encode(TrafficKeys.nonce(iv, 0));
    }

    /**
     * An opener for the records of one HTTP exchange (docs/PROTOCOL.md, "HTTP transport"): it
     * demands sequence numbers 0, 1, 2… exactly as a session's opener does, but refuses
     * {@code session} and {@code key_update} records, which an exchange never carries. Callers
     * normally use {@code io.aegis.protocol.http.HttpExchange} rather than this factory.
     *
     * @param sessionId the 16-byte session id bound into every record's associated data
     * @param direction the direction of the records to open
     * @param secret    the exchange's 32-byte traffic secret (copied; the caller erases its own)
     */
    public static RecordOpener forExchange(byte[] sessionId, byte direction, byte[] secret) {
        RecordFormat.checkExchangeKeys(sessionId, direction, secret);
        return new RecordOpener(sessionId, direction, secret, 0, true);
    }

    /**
     * Opens the next record.
     *
     * @throws RecordException on any failure; the opener is then closed
     */
    public OpenedRecord open(SecureMessage m, long nowMillis) throws RecordException {
        if (closed) {
            throw new RecordException(RecordException.Reason.CLOSED, "channel is closed");
        }
        try {
            return openChecked(m, nowMillis);
        } catch (RecordException e) {
            close();
            throw e;
        }
    }

    private OpenedRecord openChecked(SecureMessage m, long nowMillis) throws RecordException {
        if (seq >= Protocol.MAX_RECORDS_PER_EPOCH) {
            throw new RecordException(RecordException.Reason.LIMIT, "peer exceeded the record limit of an epoch");
        }
        if (!m.signature().isEmpty()) {
            throw new RecordException(RecordException.Reason.MALFORMED, "envelope signature must be empty in version 1");
        }
        if (!expectedNonce.equals(m.nonce())) {
            throw new RecordException(RecordException.Reason.NONCE_MISMATCH,
                    "nonce is not that of sequence " + seq + " in epoch " + epoch);
        }
        byte[] sealed;
        try {
            sealed = StrictBase64.decode(m.payload());
        } catch (IllegalArgumentException e) {
            throw new RecordException(RecordException.Reason.BAD_PAYLOAD, "payload: " + e.getMessage());
        }
        if (sealed.length < 1 + Aead.TAG_LENGTH) {
            throw new RecordException(RecordException.Reason.BAD_PAYLOAD, "payload shorter than flags and tag");
        }
        byte[] nonce = TrafficKeys.nonce(iv, seq);
        byte[] aad = RecordFormat.aad(sessionId, direction, epoch, seq, m.id(), m.type(), m.channel(), m.timestamp(),
                m.headers());
        byte[] pt;
        try {
            pt = aead.open(nonce, aad, sealed);
        } catch (AEADBadTagException e) {
            throw new RecordException(RecordException.Reason.DECRYPT_FAILED, "record failed authentication");
        }
        RecordFormat.Parsed parsed = RecordFormat.parse(pt);
        Secrets.erase(pt);
        long recordEpoch = epoch;
        long recordSeq = seq;
        checkPlacement(m, parsed);
        boolean keyUpdate = m.type().equals(MessageTypes.KEY_UPDATE);
        boolean requested = false;
        if (keyUpdate) {
            try {
                requested = WireJson.decodeKeyUpdate(parsed.body());
            } catch (WireFormatException e) {
                throw new RecordException(RecordException.Reason.BAD_CONTROL, "key_update body: " + e.getMessage());
            }
            ratchet(nowMillis);
        } else {
            seq++;
            expectedNonce = StrictBase64.encode(TrafficKeys.nonce(iv, seq));
        }
        totalRecords++;
        return new OpenedRecord(m.id(), m.type(), m.channel(), m.headers(), m.timestamp(), recordEpoch, recordSeq,
                parsed.body(), parsed.block(), keyUpdate, requested);
    }

    private void checkPlacement(SecureMessage m, RecordFormat.Parsed parsed) throws RecordException {
        if (exchange) {
            if (m.type().equals(MessageTypes.SESSION) || m.type().equals(MessageTypes.KEY_UPDATE)) {
                throw new RecordException(RecordException.Reason.BAD_CONTROL,
                        "an HTTP exchange carries no " + m.type() + " record");
            }
            return;
        }
        boolean first = direction == Protocol.DIRECTION_SERVER_TO_CLIENT && epoch == 0 && seq == 0;
        boolean session = m.type().equals(MessageTypes.SESSION);
        if (first != session) {
            throw new RecordException(RecordException.Reason.BAD_CONTROL, first
                    ? "the first gateway record must be the session record"
                    : "a session record may only be the first gateway record");
        }
        boolean control = session || m.type().equals(MessageTypes.KEY_UPDATE);
        if (control && (!m.channel().equals(Protocol.CONTROL_CHANNEL) || parsed.block() != null)) {
            throw new RecordException(RecordException.Reason.BAD_CONTROL,
                    m.type() + " records travel unsigned on channel 'control'");
        }
    }

    private void ratchet(long nowMillis) throws RecordException {
        if (epoch >= 0xFFFF_FFFFL) {
            throw new RecordException(RecordException.Reason.LIMIT, "peer exceeded the epoch limit");
        }
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
        expectedNonce = StrictBase64.encode(TrafficKeys.nonce(iv, 0));
    }

    /** Current epoch (number of key updates received). */
    public long epoch() {
        return epoch;
    }

    /** Next expected sequence number. */
    public long seq() {
        return seq;
    }

    /** Records opened since the channel opened, over all epochs. */
    public long totalRecords() {
        return totalRecords;
    }

    /** Clock reading (ms) when the current receive epoch began. */
    public long epochStartMillis() {
        return epochStartMillis;
    }

    /** Erases the traffic secret; every later open fails. Idempotent. */
    public void close() {
        closed = true;
        Secrets.erase(secret, iv);
    }

    boolean isClosed() {
        return closed;
    }
}
