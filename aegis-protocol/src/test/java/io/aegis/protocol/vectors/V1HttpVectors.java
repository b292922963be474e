package io.aegis.protocol.vectors;

import static io.aegis.protocol.testing.SpecMath.bytes;
import static io.aegis.protocol.testing.SpecMath.sha256;
import static io.aegis.protocol.vectors.V1Vectors.AGENT_ID;
import static io.aegis.protocol.vectors.V1Vectors.AGENT_SEED;
import static io.aegis.protocol.vectors.V1Vectors.BACKEND_SEED;
import static io.aegis.protocol.vectors.V1Vectors.T;
import static io.aegis.protocol.vectors.V1Vectors.b64;
import static io.aegis.protocol.vectors.V1Vectors.hex;
import static io.aegis.protocol.vectors.V1Vectors.run;
import static io.aegis.protocol.vectors.V1Vectors.utf8;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.aegis.protocol.IdentityKeyPair;
import io.aegis.protocol.testing.SpecMath;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The test vectors of the HTTP transport (docs/PROTOCOL.md, "HTTP transport"), computed from fixed
 * inputs with {@link SpecMath} and hand-written JSON, never with the library's {@code http} or
 * {@code record} classes. {@code HttpTestVectorsTest} compares this with
 * {@code src/test/resources/vectors/v1-http.json} and runs the library against it.
 *
 * <p>Scenario: {@code POST /api/v1/auth} with an ephemeral key (and the same request naming the
 * backend key it asks for); one poll answered with two signed records (a command to the agent and
 * a broadcast); one post carrying the agent's ack.
 * Regenerate (only when the protocol changes on purpose) with {@link #main}.
 */
public final class V1HttpVectors {

    public static final long T_AUTH = T + 10_000;
    public static final String AUTH_NONCE = "aHR0cC1zZXNzaW9uLTAx";
    public static final byte[] EA_PRIVATE = run(0xc0);
    public static final byte[] EB_PRIVATE = run(0xe0);
    public static final byte[] NB = run(0x50);
    public static final byte[] POLL_CLIENT_NONCE = run(0x70);
    public static final byte[] POLL_SERVER_NONCE = Arrays.copyOf(run(0xf0), 16);
    public static final byte[] POST_NONCE = run(0x90);
    public static final long T_POLL_0 = T + 11_000;
    public static final long T_POLL_1 = T + 11_001;
    public static final long T_POST_0 = T + 12_000;
    public static final long COMMAND_EXPIRES = T + 70_000;
    public static final long BROADCAST_EXPIRES = T + 3_600_000;
    public static final String COMMAND_BODY = "{\"action\":\"isolate\",\"host\":\"web-01\"}";
    public static final String BROADCAST_BODY = "{\"notice\":\"maintenance at 02:00\"}";
    public static final String ACK_BODY = "{\"ids\":[\"cmd-0002\",\"bc-0001\"]}";

    private V1HttpVectors() {
    }

    /** Every vector, in document order. */
    public static Map<String, Object> compute() {
        Map<String, Object> v = new LinkedHashMap<>();
        IdentityKeyPair agent = IdentityKeyPair.fromSeed(AGENT_SEED);
        IdentityKeyPair backend = IdentityKeyPair.fromSeed(BACKEND_SEED);
        byte[] agentPub = agent.publicKey().encoded();
        byte[] backendPub = backend.publicKey().encoded();
        byte[] eA = SpecMath.x25519Public(EA_PRIVATE);
        byte[] eB = SpecMath.x25519Public(EB_PRIVATE);

        Map<String, Object> in = new LinkedHashMap<>();
        in.put("agent_id", AGENT_ID);
        in.put("agent_identity_seed", hex(AGENT_SEED));
        in.put("backend_identity_seed", hex(BACKEND_SEED));
        in.put("auth_timestamp", T_AUTH);
        in.put("auth_nonce", AUTH_NONCE);
        in.put("agent_ephemeral_private", hex(EA_PRIVATE));
        in.put("backend_ephemeral_private", hex(EB_PRIVATE));
        in.put("server_nonce", hex(NB));
        in.put("poll_client_nonce", hex(POLL_CLIENT_NONCE));
        in.put("poll_server_nonce", hex(POLL_SERVER_NONCE));
        in.put("post_nonce", hex(POST_NONCE));
        Map<String, Object> clocks = new LinkedHashMap<>();
        clocks.put("poll_s2c_0", T_POLL_0);
        clocks.put("poll_s2c_1", T_POLL_1);
        clocks.put("post_c2s_0", T_POST_0);
        in.put("clock", clocks);
        v.put("http_inputs", in);

        // POST /api/v1/auth with an ephemeral key.
        Map<String, Object> ses = new LinkedHashMap<>();
        byte[] requestDigest = sha256(bytes().vec16(AGENT_ID).u64(T_AUTH).vec16(AUTH_NONCE).raw(eA).bytes());
        byte[] requestInput = SpecMath.signInput("Aegis 1, http session request", requestDigest);
        byte[] requestSignature = agent.sign(requestInput);
        byte[] thInput = bytes().ascii("aegis/1 http session").vec16(AGENT_ID).u64(T_AUTH).vec16(AUTH_NONCE)
                .raw(requestSignature).raw(eA).raw(eB).raw(NB).bytes();
        byte[] th = sha256(thInput);
        byte[] ss = SpecMath.x25519(EB_PRIVATE, eA);
        if (!Arrays.equals(ss, SpecMath.x25519(EA_PRIVATE, eB))) {
            throw new AssertionError("X25519 is not symmetric");
        }
        byte[] hs = SpecMath.extract(th, ss);
        byte[] cAp = SpecMath.expandLabel(hs, "c ap", th, 32);
        byte[] sAp = SpecMath.expandLabel(hs, "s ap", th, 32);
        byte[] sessionId = SpecMath.expandLabel(hs, "session", th, 16);
        byte[] sigBDigest = sha256(th, backendPub, agentPub);
        byte[] sigBInput = SpecMath.signInput("Aegis 1, http session", sigBDigest);
        byte[] sigB = backend.sign(sigBInput);
        ses.put("agent_ephemeral_public", hex(eA));
        ses.put("request_signature_digest", hex(requestDigest));
        ses.put("request_signing_input", hex(requestInput));
        ses.put("request_signature", hex(requestSignature));
        ses.put("backend_ephemeral_public", hex(eB));
        ses.put("transcript_input", hex(thInput));
        ses.put("th", hex(th));
        ses.put("shared_secret", hex(ss));
        ses.put("handshake_secret", hex(hs));
        ses.put("c_ap", hex(cAp));
        ses.put("s_ap", hex(sAp));
        ses.put("session_id", hex(sessionId));
        ses.put("server_signature_digest", hex(sigBDigest));
        ses.put("server_signature_input", hex(sigBInput));
        ses.put("server_signature", hex(sigB));
        ses.put("request_fields", "\"timestamp\":" + T_AUTH + ",\"nonce\":\"" + AUTH_NONCE + "\",\"signature\":\""
                + b64(requestSignature) + "\",\"ephemeral_key\":\"" + b64(eA) + "\"");
        ses.put("response_fields", "\"backend_key\":\"" + b64(eB) + "\",\"server_nonce\":\"" + b64(NB)
                + "\",\"backend_key_id\":\"" + hex(SpecMath.keyId(backendPub)) + "\",\"backend_signature\":\""
                + b64(sigB) + "\",\"session_id\":\"" + hex(sessionId) + "\"");
        v.put("http_session", ses);

        // The same request naming the backend key it asks for (backend_key_id, §17.1): the key id
        // is appended to the signed digest, and the transcript changes with the signature.
        Map<String, Object> named = new LinkedHashMap<>();
        byte[] askedKeyId = SpecMath.keyId(backendPub);
        byte[] namedDigest = sha256(bytes().vec16(AGENT_ID).u64(T_AUTH).vec16(AUTH_NONCE).raw(eA).raw(askedKeyId)
                .bytes());
        byte[] namedInput = SpecMath.signInput("Aegis 1, http session request", namedDigest);
        byte[] namedSignature = agent.sign(namedInput);
        byte[] namedTh = sha256(bytes().ascii("aegis/1 http session").vec16(AGENT_ID).u64(T_AUTH).vec16(AUTH_NONCE)
                .raw(namedSignature).raw(eA).raw(eB).raw(NB).bytes());
        byte[] namedHs = SpecMath.extract(namedTh, ss);
        byte[] namedSigB = backend.sign(SpecMath.signInput("Aegis 1, http session", sha256(namedTh, backendPub,
                agentPub)));
        named.put("backend_key_id", hex(askedKeyId));
        named.put("request_signature_digest", hex(namedDigest));
        named.put("request_signing_input", hex(namedInput));
        named.put("request_signature", hex(namedSignature));
        named.put("th", hex(namedTh));
        named.put("session_id", hex(SpecMath.expandLabel(namedHs, "session", namedTh, 16)));
        named.put("server_signature", hex(namedSigB));
        named.put("request_fields", "\"timestamp\":" + T_AUTH + ",\"nonce\":\"" + AUTH_NONCE + "\",\"signature\":\""
                + b64(namedSignature) + "\",\"ephemeral_key\":\"" + b64(eA) + "\",\"backend_key_id\":\""
                + hex(askedKeyId) + "\"");
        v.put("http_session_with_backend_key_id", named);

        // One poll: the answer carries a command to the agent and a broadcast.
        Map<String, Object> poll = new LinkedHashMap<>();
        byte[] pollContext = bytes().raw(POLL_CLIENT_NONCE).raw(POLL_SERVER_NONCE).bytes();
        byte[] pollSecret = SpecMath.expandLabel(sAp, "poll", pollContext, 32);
        poll.put("client_nonce_header", b64(POLL_CLIENT_NONCE));
        poll.put("context", hex(pollContext));
        poll.put("secret", hex(pollSecret));
        poll.put("key", hex(SpecMath.key(pollSecret)));
        poll.put("iv", hex(SpecMath.iv(pollSecret)));

        Map<String, Object> records = new LinkedHashMap<>();
        Map<String, Object> sig0 = new LinkedHashMap<>();
        byte[] pt0 = V1Vectors.signedPlaintext(backend, "Aegis 1, command", "cmd-0002", "request", "commands",
                "agent:" + AGENT_ID, COMMAND_EXPIRES, utf8(COMMAND_BODY), sig0);
        Map<String, Object> r0 = V1Vectors.record(sessionId, 0x53, pollSecret, 0, 0, "cmd-0002", "request", "commands",
                T_POLL_0, new TreeMap<>(), pt0);
        r0.put("body", COMMAND_BODY);
        r0.put("audience", "agent:" + AGENT_ID);
        r0.put("expires_at", COMMAND_EXPIRES);
        r0.putAll(sig0);
        records.put("poll_s2c_0_signed_command", r0);

        Map<String, Object> sig1 = new LinkedHashMap<>();
        byte[] pt1 = V1Vectors.signedPlaintext(backend, "Aegis 1, command", "bc-0001", "event", "announcements", "*",
                BROADCAST_EXPIRES, utf8(BROADCAST_BODY), sig1);
        Map<String, Object> r1 = V1Vectors.record(sessionId, 0x53, pollSecret, 0, 1, "bc-0001", "event",
                "announcements", T_POLL_1, new TreeMap<>(Map.of("priority", "low")), pt1);
        r1.put("body", BROADCAST_BODY);
        r1.put("audience", "*");
        r1.put("expires_at", BROADCAST_EXPIRES);
        r1.putAll(sig1);
        records.put("poll_s2c_1_signed_broadcast", r1);
        poll.put("answer_json", "{\"server_nonce\":\"" + b64(POLL_SERVER_NONCE) + "\",\"records\":[" + r0.get("json")
                + "," + r1.get("json") + "]}");

        // One post: the agent acknowledges both.
        Map<String, Object> post = new LinkedHashMap<>();
        byte[] postSecret = SpecMath.expandLabel(cAp, "post", POST_NONCE, 32);
        post.put("secret", hex(postSecret));
        post.put("key", hex(SpecMath.key(postSecret)));
        post.put("iv", hex(SpecMath.iv(postSecret)));
        Map<String, Object> c0 = V1Vectors.record(sessionId, 0x43, postSecret, 0, 0, "ack-0001", "ack", "control",
                T_POST_0, new TreeMap<>(), bytes().u8(0).raw(utf8(ACK_BODY)).bytes());
        c0.put("body", ACK_BODY);
        records.put("post_c2s_0_ack", c0);
        post.put("body_json", "{\"nonce\":\"" + b64(POST_NONCE) + "\",\"records\":[" + c0.get("json") + "]}");

        v.put("http_poll", poll);
        v.put("http_post", post);
        v.put("http_records", records);
        return v;
    }

    /** The vectors as Markdown for docs/PROTOCOL.md. */
    public static String markdown() {
        return V1Vectors.markdown(compute());
    }

    /** Writes src/test/resources/vectors/v1-http.json and target/vectors-http.md. */
    public static void main(String[] args) throws Exception {
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        Path out = Path.of(args.length > 0 ? args[0] : "src/test/resources/vectors/v1-http.json");
        Files.writeString(out, mapper.writeValueAsString(compute()) + "\n");
        Files.writeString(Path.of("target/vectors-http.md"), markdown());
        System.out.println("wrote " + out.toAbsolutePath() + " and target/vectors-http.md");
    }
}
