package io.aegis.protocol.http;

import io.aegis.protocol.Protocol;
import io.aegis.protocol.SecureMessage;
import io.aegis.protocol.WireFormatException;
import io.aegis.protocol.WireJson;
import io.aegis.protocol.crypto.ByteWriter;
import io.aegis.protocol.crypto.Hkdf;
import io.aegis.protocol.crypto.Secrets;
import io.aegis.protocol.record.OpenedRecord;
import io.aegis.protocol.record.RecordException;
import io.aegis.protocol.record.RecordOpener;
import io.aegis.protocol.record.RecordSealer;
import java.util.ArrayList;
import java.util.List;

/**
 * The keys of one HTTP exchange, so that no counter has to survive between requests and no
 * (key, nonce) pair repeats even when a request is retried:
 *
 * <pre>
 * gateway → agent (a poll's answer, or the answer to a post):
 *     k = Expand-Label(s_ap, "poll", client_nonce(32) ‖ server_nonce(16), 32)     direction 'S'
 * agent → gateway (the records of one post):
 *     k = Expand-Label(c_ap, "post", client_nonce(32), 32)                        direction 'C'
 * </pre>
 *
 * <p>Within an exchange, records are sealed exactly as in a session's record layer ({@code key(k)},
 * {@code iv(k)}, epoch 0, sequence 0, 1, 2… in body order, the associated data binding the HTTP
 * {@code session_id}), but there is no {@code session} record and no key update. The agent
 * draws {@code client_nonce} fresh for every poll and every post; the gateway draws
 * {@code server_nonce} fresh for every answer.
 *
 * <p>Most callers use {@link HttpSession}'s methods, which build on these. Stateless and thread-safe.
 */
public final class HttpExchange {

    /** Length of the agent's {@code client_nonce}, in bytes. */
    public static final int CLIENT_NONCE_LENGTH = 32;
    /** Length of the gateway's {@code server_nonce}, in bytes. */
    public static final int SERVER_NONCE_LENGTH = 16;
    /** Most records one exchange body may carry (a gateway answer or an agent post). */
    public static final int MAX_RECORDS = 1000;
    /** Request header of a poll carrying the agent's {@code client_nonce} (canonical base64). */
    public static final String CLIENT_NONCE_HEADER = "X-Aegis-Client-Nonce";
    /** Expand-Label label of a gateway answer's secret. */
    public static final String LABEL_ANSWER = "poll";
    /** Expand-Label label of an agent post's secret. */
    public static final String LABEL_POST = "post";

    private HttpExchange() {
    }

    /** The secret of a gateway answer: {@code Expand-Label(s_ap, "poll", client_nonce ‖ server_nonce, 32)}. */
    public static byte[] answerSecret(byte[] serverSecret, byte[] clientNonce, byte[] serverNonce) {
        checkLength(clientNonce, CLIENT_NONCE_LENGTH, "client_nonce");
        checkLength(serverNonce, SERVER_NONCE_LENGTH, "server_nonce");
        byte[] context = new ByteWriter(48).raw(clientNonce).raw(serverNonce).toByteArray();
        return Hkdf.expandLabel(serverSecret, LABEL_ANSWER, context, 32);
    }

    /** The secret of an agent post: {@code Expand-Label(c_ap, "post", client_nonce, 32)}. */
    public static byte[] postSecret(byte[] clientSecret, byte[] clientNonce) {
        checkLength(clientNonce, CLIENT_NONCE_LENGTH, "client_nonce");
        return Hkdf.expandLabel(clientSecret, LABEL_POST, clientNonce, 32);
    }

    /** The gateway's sealer of one answer. */
    public static RecordSealer serverSealer(HttpSession session, byte[] clientNonce, byte[] serverNonce) {
        byte[] k = answerSecret(session.serverSecret(), clientNonce, serverNonce);
        try {
            return RecordSealer.forExchange(session.sessionIdRaw(), Protocol.DIRECTION_SERVER_TO_CLIENT, k,
                    session.maxFrameBytes());
        } finally {
            Secrets.erase(k);
        }
    }

    /** The agent's opener of one answer. */
    public static RecordOpener clientOpener(HttpSession session, byte[] clientNonce, byte[] serverNonce) {
        byte[] k = answerSecret(session.serverSecret(), clientNonce, serverNonce);
        try {
            return RecordOpener.forExchange(session.sessionIdRaw(), Protocol.DIRECTION_SERVER_TO_CLIENT, k);
        } finally {
            Secrets.erase(k);
        }
    }

    /** The agent's sealer of one post. */
    public static RecordSealer clientSealer(HttpSession session, byte[] clientNonce) {
        byte[] k = postSecret(session.clientSecret(), clientNonce);
        try {
            return RecordSealer.forExchange(session.sessionIdRaw(), Protocol.DIRECTION_CLIENT_TO_SERVER, k,
                    session.maxFrameBytes());
        } finally {
            Secrets.erase(k);
        }
    }

    /** The gateway's opener of one post. */
    public static RecordOpener serverOpener(HttpSession session, byte[] clientNonce) {
        byte[] k = postSecret(session.clientSecret(), clientNonce);
        try {
            return RecordOpener.forExchange(session.sessionIdRaw(), Protocol.DIRECTION_CLIENT_TO_SERVER, k);
        } finally {
            Secrets.erase(k);
        }
    }

    /**
     * Decodes a body and opens every record with {@code opener}, in order. All or nothing: the
     * first failure throws and nothing opened before it is returned.
     */
    static List<OpenedRecord> openAll(RecordOpener opener, List<SecureMessage> records, long nowMillis)
            throws RecordException {
        try {
            List<OpenedRecord> out = new ArrayList<>(records.size());
            for (SecureMessage m : records) {
                out.add(opener.open(m, nowMillis));
            }
            return out;
        } finally {
            opener.close();
        }
    }

    /** Decodes a body, turning format errors into {@link RecordException}s (MALFORMED or TOO_LARGE). */
    static RecordBatch decode(byte[] body, String nonceField, int nonceLength, int maxFrameBytes)
            throws RecordException {
        try {
            return WireJson.decodeRecordBatch(body, nonceField, nonceLength, MAX_RECORDS, maxFrameBytes);
        } catch (WireFormatException e) {
            throw new RecordException(e.isTooLarge() ? RecordException.Reason.TOO_LARGE : RecordException.Reason.MALFORMED,
                    e.getMessage(), e);
        }
    }

    private static void checkLength(byte[] b, int length, String what) {
        if (b == null || b.length != length) {
            throw new IllegalArgumentException(what + " must be " + length + " bytes");
        }
    }
}
