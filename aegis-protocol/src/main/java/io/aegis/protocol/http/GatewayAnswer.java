package io.aegis.protocol.http;

import io.aegis.protocol.SecureMessage;
import io.aegis.protocol.WireJson;
import io.aegis.protocol.record.RecordException;
import io.aegis.protocol.record.RecordSealer;
import io.aegis.protocol.record.SignedCommand;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The gateway's answer to one poll or post: seal the records in delivery order, then send
 * {@link #body()}. Obtained from {@link HttpSession#newAnswer}, which drew its
 * {@code server_nonce}. Not thread-safe.
 */
public final class GatewayAnswer {

    private final RecordSealer sealer;
    private final byte[] serverNonce;
    private final Clock clock;
    private final List<SecureMessage> records = new ArrayList<>();
    private long encodedLength;

    GatewayAnswer(RecordSealer sealer, byte[] serverNonce, Clock clock) {
        this.sealer = sealer;
        this.serverNonce = serverNonce;
        this.clock = clock;
        this.encodedLength = 64;
    }

    /**
     * Seals a signed command (one signature serves every agent and every redelivery).
     *
     * @throws IllegalStateException if the record could exceed the frame limit or the answer is
     *     full ({@link HttpExchange#MAX_RECORDS})
     */
    public SecureMessage seal(SignedCommand command, Map<String, String> headers) throws RecordException {
        checkRoom();
        return add(sealer.seal(command.id(), command.type(), command.channel(), headers, clock.millis(),
                command.block(), command.body()));
    }

    /** Seals an unsigned record (an {@code ack}, {@code response} or {@code error}). */
    public SecureMessage seal(String id, String type, String channel, Map<String, String> headers, byte[] body)
            throws RecordException {
        checkRoom();
        return add(sealer.seal(id, type, channel, headers, clock.millis(), null, body));
    }

    /** Records sealed so far. */
    public int size() {
        return records.size();
    }

    /** Length of {@link #body()} as it stands, in UTF-8 bytes (an upper bound). */
    public long encodedLength() {
        return encodedLength;
    }

    /** The 16-byte {@code server_nonce} (a copy). */
    public byte[] serverNonce() {
        return serverNonce.clone();
    }

    /** The response body: {@code {"server_nonce":"b64(16)","records":[…]}}. */
    public String body() {
        return WireJson.encode(WireJson.GATEWAY_ANSWER_NONCE, new RecordBatch(serverNonce, records));
    }

    private void checkRoom() {
        if (records.size() >= HttpExchange.MAX_RECORDS) {
            throw new IllegalStateException("an answer carries at most " + HttpExchange.MAX_RECORDS + " records");
        }
    }

    private SecureMessage add(SecureMessage m) {
        records.add(m);
        String json = WireJson.encode(m);
        // Every character is at most 3 UTF-8 bytes; headers are the only non-ASCII text.
        encodedLength += 1 + (long) json.length() * (m.headers().isEmpty() ? 1 : 3);
        return m;
    }
}
