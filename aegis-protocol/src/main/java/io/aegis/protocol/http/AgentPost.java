package io.aegis.protocol.http;

import io.aegis.protocol.SecureMessage;
import io.aegis.protocol.WireJson;
import io.aegis.protocol.record.OpenedRecord;
import io.aegis.protocol.record.RecordException;
import io.aegis.protocol.record.RecordSealer;
import io.aegis.protocol.record.SignedCommand;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One post of an agent's records ({@code POST /api/v1/agents/{id}/messages}): seal the records in
 * order, send {@link #body()}, and open the gateway's answer (its acks, responses and errors) with
 * {@link #openAnswer(String)}.
 *
 * <p>The gateway accepts each {@code nonce} once per session. If the answer is lost, the post may
 * or may not have been processed: sending the same {@link #body()} again is safe (a processed one
 * is refused with 409 {@code nonce_reused}); to resend its records in any other form, seal them in
 * a new post. Never seal different records under one nonce. Obtained from
 * {@link HttpSession#newPost}. Not thread-safe.
 */
public final class AgentPost {

    private final HttpSession session;
    private final byte[] nonce;
    private final RecordSealer sealer;
    private final List<SecureMessage> records = new ArrayList<>();

    AgentPost(HttpSession session, byte[] nonce) {
        this.session = session;
        this.nonce = nonce;
        this.sealer = HttpExchange.clientSealer(session, nonce);
    }

    /** The post's 32-byte {@code nonce} (its {@code client_nonce}; a copy). */
    public byte[] nonce() {
        return nonce.clone();
    }

    /**
     * Seals an unsigned record (an {@code ack}, {@code subscribe}, …), timestamped with the
     * session's clock.
     *
     * @throws IllegalArgumentException for an invalid name or header, or a {@code session} or
     *     {@code key_update} record (nothing consumed)
     * @throws IllegalStateException if the record could exceed the frame limit or the post is full
     *     ({@link HttpExchange#MAX_RECORDS})
     */
    public SecureMessage seal(String id, String type, String channel, Map<String, String> headers, byte[] body)
            throws RecordException {
        checkRoom();
        return add(sealer.seal(id, type, channel, headers, session.clock().millis(), null, body));
    }

    /** Seals a message signed with {@link io.aegis.protocol.record.CommandSigner#agent}. */
    public SecureMessage seal(SignedCommand message, Map<String, String> headers) throws RecordException {
        checkRoom();
        return add(sealer.seal(message.id(), message.type(), message.channel(), headers, session.clock().millis(),
                message.block(), message.body()));
    }

    /** Records sealed so far. */
    public int size() {
        return records.size();
    }

    /** The request body: {@code {"nonce":"b64(32)","records":[…]}}. */
    public String body() {
        return WireJson.encode(WireJson.AGENT_POST_NONCE, new RecordBatch(nonce, records));
    }

    /**
     * Opens the gateway's answer {@code {"server_nonce","records"}}: every record in order, or none.
     *
     * @throws RecordException as {@link AgentPoll#openAnswer(String)}
     */
    public List<OpenedRecord> openAnswer(String body) throws RecordException {
        return AgentPoll.openAnswer(session, nonce, body.getBytes(StandardCharsets.UTF_8));
    }

    private void checkRoom() {
        if (records.size() >= HttpExchange.MAX_RECORDS) {
            throw new IllegalStateException("a post carries at most " + HttpExchange.MAX_RECORDS + " records");
        }
    }

    private SecureMessage add(SecureMessage m) {
        records.add(m);
        return m;
    }
}
