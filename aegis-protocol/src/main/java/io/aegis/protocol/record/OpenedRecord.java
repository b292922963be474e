package io.aegis.protocol.record;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;

/**
 * An opened record: the envelope's authenticated clear fields, its position, and the decrypted
 * body.
 *
 * @param id                 message id
 * @param type               message type
 * @param channel            channel
 * @param headers            headers, sorted by key
 * @param timestamp          sender's timestamp, milliseconds (authenticated, not checked)
 * @param epoch              key epoch the record was sealed in
 * @param seq                sequence number within the epoch
 * @param body               the decrypted UTF-8 body
 * @param signed             the signature block, or {@code null} if the record is unsigned;
 *                           verify it with {@link CommandVerifier} or {@link AgentMessageVerifier}
 * @param keyUpdate          true if this was a {@code key_update} record (the receiving direction
 *                           has already switched to the next key)
 * @param keyUpdateRequested true if the peer asked for our key update: the caller must send
 *                           {@link SecureChannel#sealKeyUpdate(boolean) sealKeyUpdate(false)} before
 *                           its next record
 */
public record OpenedRecord(String id, String type, String channel, Map<String, String> headers, long timestamp,
                           long epoch, long seq, byte[] body, SignedBlock signed, boolean keyUpdate,
                           boolean keyUpdateRequested) {

    /** Copies the body. */
    public OpenedRecord {
        body = body.clone();
    }

    /** A copy of {@code body}. */
    @Override
    public byte[] body() {
        return body.clone();
    }

    /** The body decoded as UTF-8. */
    public String bodyText() {
        return new String(body, StandardCharsets.UTF_8);
    }

    byte[] bodyRaw() {
        return body;
    }

    /** True if the record carries a signature block. */
    public boolean isSigned() {
        return signed != null;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof OpenedRecord r && id.equals(r.id) && type.equals(r.type) && channel.equals(r.channel)
                && headers.equals(r.headers) && timestamp == r.timestamp && epoch == r.epoch && seq == r.seq
                && Arrays.equals(body, r.body) && Objects.equals(signed, r.signed) && keyUpdate == r.keyUpdate
                && keyUpdateRequested == r.keyUpdateRequested;
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, type, channel, epoch, seq);
    }

    @Override
    public String toString() {
        return "OpenedRecord[id=" + id + ", type=" + type + ", channel=" + channel + ", epoch=" + epoch + ", seq=" + seq
                + ", bytes=" + body.length + (signed != null ? ", signed" : "") + "]";
    }
}
