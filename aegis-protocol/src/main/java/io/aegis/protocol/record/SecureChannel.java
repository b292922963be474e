package io.aegis.protocol.record;

import io.aegis.protocol.Protocol;
import io.aegis.protocol.SecureMessage;
import io.aegis.protocol.WireFormatException;
import io.aegis.protocol.WireJson;
import io.aegis.protocol.crypto.Hex;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * One session's record layer: a {@link RecordSealer} for the direction this side sends and a
 * {@link RecordOpener} for the direction it receives.
 *
 * <p>Obtained from a completed handshake ({@code ClientHandshake} / {@code ServerHandshake}).
 * Sealing produces a {@link SecureMessage} to encode with {@link WireJson#encode(SecureMessage)}
 * and send as one text frame; opening demands the peer's next record exactly.
 *
 * <p><b>Failure is final.</b> Once {@link #open} throws, the channel is dead: both directions'
 * secrets are erased and every later call throws {@link RecordException.Reason#CLOSED}. The
 * caller closes the connection with code 4006 (1009 for {@link RecordException.Reason#TOO_LARGE}).
 *
 * <p><b>Key update.</b> {@link #sealKeyUpdate(boolean)} sends a {@code key_update} record and
 * then moves this side's sending direction to the next key; opening the peer's
 * {@code key_update} moves the receiving direction. If the peer asked for an update
 * ({@link OpenedRecord#keyUpdateRequested()}), the caller sends {@code sealKeyUpdate(false)}
 * before its next record; {@link #keyUpdateOwed()} tells whether that is pending.
 * {@link #needsKeyUpdate(Instant, Duration, long)} tells when this side's own key is due.
 *
 * <p><b>Not thread-safe; callers serialize</b> all calls (for example on the connection's event
 * loop).
 */
public final class SecureChannel {

    /** Which end of the connection this channel belongs to. */
    public enum Role {
        /** The agent: sends with the client traffic secret, direction 'C'. */
        CLIENT,
        /** The gateway: sends with the server traffic secret, direction 'S'. */
        SERVER
    }

    private final Role role;
    private final byte[] sessionId;
    private final Clock clock;
    private final int maxFrameBytes;
    private final RecordSealer sealer;
    private final RecordOpener opener;
    private boolean keyUpdateOwed;
    private boolean closed;

    private SecureChannel(Role role, byte[] sessionId, byte[] clientSecret, byte[] serverSecret, Clock clock,
                          int maxFrameBytes) {
        this.role = Objects.requireNonNull(role, "role");
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
        this.clock = Objects.requireNonNull(clock, "clock");
        this.maxFrameBytes = maxFrameBytes;
        long now = clock.millis();
        if (role == Role.CLIENT) {
            sealer = new RecordSealer(sessionId, Protocol.DIRECTION_CLIENT_TO_SERVER, clientSecret, maxFrameBytes, now);
            opener = new RecordOpener(sessionId, Protocol.DIRECTION_SERVER_TO_CLIENT, serverSecret, now);
        } else {
            sealer = new RecordSealer(sessionId, Protocol.DIRECTION_SERVER_TO_CLIENT, serverSecret, maxFrameBytes, now);
            opener = new RecordOpener(sessionId, Protocol.DIRECTION_CLIENT_TO_SERVER, clientSecret, now);
        }
    }

    /**
     * Creates a channel from the traffic secrets of a handshake ({@code c_ap}, {@code s_ap}) and
     * the session id. The handshakes call this; it is public for test harnesses and other
     * packages of this library. The arrays are copied; the caller erases its own.
     *
     * @param maxFrameBytes largest frame accepted by {@link #open(String)} and produced by seal,
     *                      in UTF-8 bytes (at least 1024)
     */
    public static SecureChannel create(Role role, byte[] sessionId, byte[] clientSecret, byte[] serverSecret,
                                       Clock clock, int maxFrameBytes) {
        return new SecureChannel(role, sessionId, clientSecret, serverSecret, clock, maxFrameBytes);
    }

    /** This side's role. */
    public Role role() {
        return role;
    }

    /** The 16-byte session id (a copy). */
    public byte[] sessionId() {
        return sessionId.clone();
    }

    /** The session id as 32 lowercase hex characters. */
    public String sessionIdHex() {
        return Hex.encode(sessionId);
    }

    /** Largest frame, in bytes, this channel accepts and produces. */
    public int maxFrameBytes() {
        return maxFrameBytes;
    }

    /** Seals an unsigned record without headers. See {@link #seal(String, String, String, Map, byte[])}. */
    public SecureMessage seal(String id, String type, String channel, byte[] body) throws RecordException {
        return seal(id, type, channel, Map.of(), body);
    }

    /**
     * Seals an unsigned record, timestamped with the channel's clock.
     *
     * @param body the UTF-8 JSON of the message value
     * @throws IllegalArgumentException for an invalid id, type, channel or header (nothing consumed)
     * @throws IllegalStateException    if the frame could exceed {@link #maxFrameBytes()}, or a
     *                                  {@code session} record is out of place (nothing consumed)
     * @throws RecordException          if the channel is closed or the epoch's record limit is
     *                                  reached (send {@link #sealKeyUpdate(boolean)} first)
     */
    public SecureMessage seal(String id, String type, String channel, Map<String, String> headers, byte[] body)
            throws RecordException {
        checkOpen();
        return sealer.seal(id, type, channel, headers, clock.millis(), null, body);
    }

    /**
     * Seals a signed message made by {@link CommandSigner}. The same {@link SignedCommand} may be
     * sealed into any number of channels: the signature is not recomputed.
     */
    public SecureMessage seal(SignedCommand command, Map<String, String> headers) throws RecordException {
        checkOpen();
        return sealer.seal(command.id(), command.type(), command.channel(), headers, clock.millis(), command.block(),
                command.bodyRaw());
    }

    /**
     * Seals a {@code key_update} record (channel {@code control}, body
     * {@code {"update_requested":…}}) and then switches the sending direction to the next key:
     * {@code next = Expand-Label(secret, "upd", "", 32)}, epoch + 1, sequence 0, old key erased.
     *
     * @param requestPeerUpdate ask the peer to update its sending key too
     */
    public SecureMessage sealKeyUpdate(boolean requestPeerUpdate) throws RecordException {
        checkOpen();
        long now = clock.millis();
        SecureMessage m = sealer.sealKeyUpdate(requestPeerUpdate, now, now);
        keyUpdateOwed = false;
        return m;
    }

    /**
     * Opens the peer's next record.
     *
     * @throws RecordException on any failure; the channel is then dead
     */
    public OpenedRecord open(SecureMessage message) throws RecordException {
        checkOpen();
        try {
            OpenedRecord r = opener.open(message, clock.millis());
            if (r.keyUpdateRequested()) {
                keyUpdateOwed = true;
            }
            return r;
        } catch (RecordException e) {
            close();
            throw e;
        }
    }

    /**
     * Decodes a frame (refusing one longer than {@link #maxFrameBytes()} before parsing) and
     * opens it.
     *
     * @throws RecordException on any failure; the channel is then dead
     */
    public OpenedRecord open(String frame) throws RecordException {
        checkOpen();
        SecureMessage m;
        try {
            m = WireJson.decodeSecureMessage(frame, maxFrameBytes);
        } catch (WireFormatException e) {
            close();
            throw new RecordException(e.isTooLarge() ? RecordException.Reason.TOO_LARGE : RecordException.Reason.MALFORMED,
                    e.getMessage(), e);
        }
        return open(m);
    }

    /**
     * True if this side should send a key update now: the peer asked for one, or the current
     * sending epoch has lasted {@code interval} or carried {@code recordLimit} records.
     */
    public boolean needsKeyUpdate(Instant now, Duration interval, long recordLimit) {
        return keyUpdateOwed
                || sealer.seq() >= Math.min(recordLimit, Protocol.MAX_RECORDS_PER_EPOCH - 1)
                || now.toEpochMilli() - sealer.epochStartMillis() >= interval.toMillis();
    }

    /**
     * True if the peer's sending key is overdue for an update by the same measures: the caller
     * may then send {@code sealKeyUpdate(true)} to ask for one.
     */
    public boolean peerKeyUpdateOverdue(Instant now, Duration interval, long recordLimit) {
        return opener.seq() >= recordLimit || now.toEpochMilli() - opener.epochStartMillis() >= interval.toMillis();
    }

    /** True if the peer requested a key update that this side has not yet sent. */
    public boolean keyUpdateOwed() {
        return keyUpdateOwed;
    }

    /** The sending half (counters, epoch). */
    public RecordSealer sealer() {
        return sealer;
    }

    /** The receiving half (counters, epoch). */
    public RecordOpener opener() {
        return opener;
    }

    /** True once the channel failed or was closed. */
    public boolean isClosed() {
        return closed;
    }

    /** Erases both directions' secrets; every later call fails. Idempotent. */
    public void close() {
        closed = true;
        sealer.close();
        opener.close();
    }

    private void checkOpen() throws RecordException {
        if (closed) {
            throw new RecordException(RecordException.Reason.CLOSED, "channel is closed");
        }
    }
}
