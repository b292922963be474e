package io.aegis.protocol.http;

import io.aegis.protocol.WireJson;
import io.aegis.protocol.crypto.StrictBase64;
import io.aegis.protocol.record.OpenedRecord;
import io.aegis.protocol.record.RecordException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * One poll of an agent ({@code GET /api/v1/agents/{id}/messages/poll}): send
 * {@link #clientNonceHeader()} as the {@value HttpExchange#CLIENT_NONCE_HEADER} header, then open
 * the gateway's answer with {@link #openAnswer(String)}. Use each poll once; a retried request is a
 * new poll with a new nonce. Obtained from {@link HttpSession#newPoll}. Not thread-safe.
 */
public final class AgentPoll {

    private final HttpSession session;
    private final byte[] clientNonce;

    AgentPoll(HttpSession session, byte[] clientNonce) {
        this.session = session;
        this.clientNonce = clientNonce;
    }

    /** The 32-byte {@code client_nonce} (a copy). */
    public byte[] clientNonce() {
        return clientNonce.clone();
    }

    /** The value of the {@value HttpExchange#CLIENT_NONCE_HEADER} header: canonical base64 of the nonce. */
    public String clientNonceHeader() {
        return StrictBase64.encode(clientNonce);
    }

    /**
     * Opens the answer {@code {"server_nonce","records"}}: every record in order, or none. The
     * records' command signatures are not checked here: verify each with
     * {@link io.aegis.protocol.record.CommandVerifier}, then acknowledge what it accepted.
     *
     * @throws RecordException MALFORMED or TOO_LARGE for a body that is not a valid answer, or
     *     the record layer's reason for the first record that does not open
     */
    public List<OpenedRecord> openAnswer(String body) throws RecordException {
        return openAnswer(session, clientNonce, body.getBytes(StandardCharsets.UTF_8));
    }

    /** Opens a gateway answer to the exchange that used {@code clientNonce} (a poll or a post). */
    static List<OpenedRecord> openAnswer(HttpSession session, byte[] clientNonce, byte[] body) throws RecordException {
        RecordBatch batch = HttpExchange.decode(body, WireJson.GATEWAY_ANSWER_NONCE, HttpExchange.SERVER_NONCE_LENGTH,
                session.maxFrameBytes());
        return HttpExchange.openAll(HttpExchange.clientOpener(session, clientNonce, batch.nonce()), batch.records(),
                session.clock().millis());
    }
}
