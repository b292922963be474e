package io.aegis.protocol.vectors;

import static io.aegis.protocol.testing.SpecMath.bytes;
import static io.aegis.protocol.testing.SpecMath.sha256;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.aegis.protocol.IdentityKeyPair;
import io.aegis.protocol.testing.SpecMath;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The version 1 test vectors, computed from fixed inputs with {@link SpecMath} (the formulas of
 * docs/PROTOCOL.md written out directly) and hand-written JSON, never with the library's
 * handshake or record classes. {@code TestVectorsTest} compares this with
 * {@code src/test/resources/vectors/v1.json} and runs the real state machines against it.
 *
 * <p>Regenerate the file (only when the protocol changes on purpose) with {@link #main}.
 */
public final class V1Vectors {

    public static final String SUITE = "AEGIS1-X25519-ED25519-CHACHA20POLY1305-SHA256";
    public static final String AGENT_ID = "agent-0001";
    public static final long T = 1_767_225_600_000L; // 2026-01-01T00:00:00Z
    public static final String SESSION_TOKEN = "st-0123456789abcdef";
    public static final long EXPIRES_AT = T / 1000 + 86_400;

    public static byte[] run(int start) {
        byte[] b = new byte[32];
        for (int i = 0; i < 32; i++) {
            b[i] = (byte) (start + i);
        }
        return b;
    }

    public static final byte[] AGENT_SEED = run(0x00);
    public static final byte[] BACKEND_SEED = run(0x20);
    public static final byte[] EA_PRIVATE = run(0x40);
    public static final byte[] EB_PRIVATE = run(0x60);
    public static final byte[] NA = run(0x80);
    public static final byte[] NB = run(0xa0);
    /** The agent's new identity key in the key rotation vector. */
    public static final byte[] ROTATED_AGENT_SEED = run(0xc0);

    /** Clock readings at each step (ms). */
    public static final long T_CLIENT_HELLO = T;
    public static final long T_SERVER_HELLO = T + 120;
    public static final long T_CLIENT_AUTH = T + 150;
    public static final long T_SESSION = T + 181;
    public static final long T_C0 = T + 1000;
    public static final long T_S1 = T + 1001;
    public static final long T_C1 = T + 1002;
    public static final long T_KEY_UPDATE = T + 2000;
    public static final long T_C3 = T + 2001;
    public static final long COMMAND_EXPIRES = T + 60_000;

    private static final HexFormat HEX = HexFormat.of();

    private V1Vectors() {
    }

    static String hex(byte[] b) {
        return HEX.formatHex(b);
    }

    static String b64(byte[] b) {
        return Base64.getEncoder().encodeToString(b);
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** One record's vectors. */
    private static Map<String, Object> record(byte[] sessionId, int direction, byte[] secret, long epoch, long seq,
                                              String id, String type, String channel, long ts,
                                              SortedMap<String, String> headers, byte[] plaintext) {
        byte[] key = SpecMath.key(secret);
        byte[] iv = SpecMath.iv(secret);
        byte[] nonce = SpecMath.nonce(iv, seq);
        byte[] aad = SpecMath.aad(sessionId, direction, epoch, seq, id, type, channel, ts, headers);
        byte[] sealed = SpecMath.seal(key, nonce, aad, plaintext);
        StringBuilder h = new StringBuilder();
        headers.forEach((k, v) -> h.append(h.length() == 0 ? "" : ",").append('"').append(k).append("\":\"").append(v).append('"'));
        String json = "{\"id\":\"" + id + "\",\"type\":\"" + type + "\",\"channel\":\"" + channel + "\",\"payload\":\""
                + b64(sealed) + "\",\"timestamp\":" + ts + ",\"nonce\":\"" + b64(nonce) + "\",\"signature\":\"\","
                + "\"headers\":{" + h + "}}";
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("direction", direction == 0x43 ? "c2s" : "s2c");
        r.put("epoch", epoch);
        r.put("seq", seq);
        r.put("nonce", hex(nonce));
        r.put("aad", hex(aad));
        r.put("plaintext", hex(plaintext));
        r.put("sealed", hex(sealed));
        r.put("json", json);
        return r;
    }

    /** Plaintext with a signature block. */
    private static byte[] signedPlaintext(IdentityKeyPair signer, String context, String id, String type,
                                          String channel, String audience, long expiresAt, byte[] body,
                                          Map<String, Object> out) {
        byte[] d = SpecMath.commandDigest(id, type, channel, audience, expiresAt, body);
        byte[] sig = signer.sign(SpecMath.signInput(context, d));
        out.put("signature_digest", hex(d));
        out.put("signature", hex(sig));
        return bytes().u8(1).raw(SpecMath.keyId(signer.publicKey().encoded())).u64(expiresAt).vec16(audience)
                .raw(sig).raw(body).bytes();
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
        in.put("agent_ephemeral_private", hex(EA_PRIVATE));
        in.put("backend_ephemeral_private", hex(EB_PRIVATE));
        in.put("client_nonce", hex(NA));
        in.put("server_nonce", hex(NB));
        in.put("client_hello_timestamp", T_CLIENT_HELLO);
        in.put("session_token", SESSION_TOKEN);
        in.put("session_expires_at", EXPIRES_AT);
        Map<String, Object> clocks = new LinkedHashMap<>();
        clocks.put("server_receives_client_hello", T_SERVER_HELLO);
        clocks.put("client_receives_server_hello", T_CLIENT_AUTH);
        clocks.put("session_record", T_SESSION);
        clocks.put("c2s_0", T_C0);
        clocks.put("s2c_1", T_S1);
        clocks.put("c2s_1", T_C1);
        clocks.put("c2s_2_key_update", T_KEY_UPDATE);
        clocks.put("c2s_epoch1_0", T_C3);
        in.put("clock", clocks);
        v.put("inputs", in);

        Map<String, Object> keys = new LinkedHashMap<>();
        keys.put("agent_public_key", hex(agentPub));
        keys.put("agent_key_id", hex(SpecMath.keyId(agentPub)));
        keys.put("backend_public_key", hex(backendPub));
        keys.put("backend_key_id", hex(SpecMath.keyId(backendPub)));
        keys.put("agent_ephemeral_public", hex(eA));
        keys.put("backend_ephemeral_public", hex(eB));
        v.put("keys", keys);

        // Handshake.
        Map<String, Object> hsv = new LinkedHashMap<>();
        byte[] kid = SpecMath.keyId(backendPub);
        byte[] ch = SpecMath.ch(1, SUITE, AGENT_ID, agentPub, kid, eA, NA, T_CLIENT_HELLO);
        String m1 = "{\"type\":\"client_hello\",\"version\":1,\"suite\":\"" + SUITE + "\",\"agent_id\":\"" + AGENT_ID
                + "\",\"public_key\":\"" + b64(agentPub) + "\",\"backend_key_id\":\"" + hex(kid) + "\",\"ephemeral_key\":\""
                + b64(eA) + "\",\"nonce\":\"" + b64(NA) + "\",\"timestamp\":" + T_CLIENT_HELLO + "}";
        byte[] sh = SpecMath.sh(1, SUITE, eB, NB);
        byte[] ss = SpecMath.x25519(EB_PRIVATE, eA);
        byte[] ssAgent = SpecMath.x25519(EA_PRIVATE, eB);
        if (!java.util.Arrays.equals(ss, ssAgent)) {
            throw new AssertionError("X25519 is not symmetric");
        }
        byte[] thHello = sha256(ch, sh);
        byte[] hs = SpecMath.extract(thHello, ss);
        byte[] cHs = SpecMath.expandLabel(hs, "c hs", thHello, 32);
        byte[] sHs = SpecMath.expandLabel(hs, "s hs", thHello, 32);
        byte[] sigBDigest = sha256(ch, sh, backendPub, agentPub);
        byte[] sigB = backend.sign(SpecMath.signInput("Aegis 1, server handshake", sigBDigest));
        byte[] m2Plain = bytes().raw(kid).raw(sigB).bytes();
        byte[] c = SpecMath.seal(SpecMath.key(sHs), SpecMath.iv(sHs), thHello, m2Plain);
        String m2 = "{\"type\":\"server_hello\",\"version\":1,\"suite\":\"" + SUITE + "\",\"backend_key\":\"" + b64(eB)
                + "\",\"nonce\":\"" + b64(NB) + "\",\"sealed\":\"" + b64(c) + "\"}";
        byte[] thM2 = sha256(ch, sh, c);
        byte[] sigADigest = sha256(ch, sh, c, backendPub, agentPub);
        byte[] sigA = agent.sign(SpecMath.signInput("Aegis 1, client handshake", sigADigest));
        byte[] c3 = SpecMath.seal(SpecMath.key(cHs), SpecMath.iv(cHs), thM2, sigA);
        String m3 = "{\"type\":\"client_auth\",\"sealed\":\"" + b64(c3) + "\"}";
        byte[] thFinal = sha256(ch, sh, c, c3);
        byte[] cAp = SpecMath.expandLabel(hs, "c ap", thFinal, 32);
        byte[] sAp = SpecMath.expandLabel(hs, "s ap", thFinal, 32);
        byte[] sessionId = SpecMath.expandLabel(hs, "session", thFinal, 16);

        hsv.put("client_hello_canonical", hex(ch));
        hsv.put("client_hello_json", m1);
        hsv.put("server_hello_canonical", hex(sh));
        hsv.put("shared_secret", hex(ss));
        hsv.put("th_hello", hex(thHello));
        hsv.put("handshake_secret", hex(hs));
        hsv.put("c_hs", hex(cHs));
        hsv.put("c_hs_key", hex(SpecMath.key(cHs)));
        hsv.put("c_hs_iv", hex(SpecMath.iv(cHs)));
        hsv.put("s_hs", hex(sHs));
        hsv.put("s_hs_key", hex(SpecMath.key(sHs)));
        hsv.put("s_hs_iv", hex(SpecMath.iv(sHs)));
        hsv.put("server_signature_digest", hex(sigBDigest));
        hsv.put("server_signature_input", hex(SpecMath.signInput("Aegis 1, server handshake", sigBDigest)));
        hsv.put("server_signature", hex(sigB));
        hsv.put("server_hello_plaintext", hex(m2Plain));
        hsv.put("server_hello_sealed", hex(c));
        hsv.put("server_hello_json", m2);
        hsv.put("th_m2", hex(thM2));
        hsv.put("client_signature_digest", hex(sigADigest));
        hsv.put("client_signature", hex(sigA));
        hsv.put("client_auth_sealed", hex(c3));
        hsv.put("client_auth_json", m3);
        hsv.put("th_final", hex(thFinal));
        hsv.put("c_ap", hex(cAp));
        hsv.put("c_ap_key", hex(SpecMath.key(cAp)));
        hsv.put("c_ap_iv", hex(SpecMath.iv(cAp)));
        hsv.put("s_ap", hex(sAp));
        hsv.put("s_ap_key", hex(SpecMath.key(sAp)));
        hsv.put("s_ap_iv", hex(SpecMath.iv(sAp)));
        hsv.put("session_id", hex(sessionId));
        v.put("handshake", hsv);

        // Records.
        Map<String, Object> records = new LinkedHashMap<>();
        String sessionBody = "{\"success\":true,\"backend_key\":\"" + b64(eB) + "\",\"session_token\":\"" + SESSION_TOKEN
                + "\",\"expires_at\":" + EXPIRES_AT + ",\"session_id\":\"" + hex(sessionId) + "\",\"protocol_version\":1}";
        Map<String, Object> s0 = record(sessionId, 0x53, sAp, 0, 0, "session", "session", "control", T_SESSION,
                new TreeMap<>(), bytes().u8(0).raw(utf8(sessionBody)).bytes());
        s0.put("body", sessionBody);
        records.put("s2c_0_session", s0);

        TreeMap<String, String> h0 = new TreeMap<>(Map.of("trace-id", "4bf92f3577b34da6", "priority", "high"));
        String body0 = "{\"severity\":\"high\",\"rule\":\"R-17\"}";
        Map<String, Object> c0 = record(sessionId, 0x43, cAp, 0, 0, "evt-0001", "event", "events/alerts", T_C0, h0,
                bytes().u8(0).raw(utf8(body0)).bytes());
        c0.put("body", body0);
        records.put("c2s_0_event_with_headers", c0);

        String body1 = "{\"action\":\"scan\",\"path\":\"/var/tmp\"}";
        Map<String, Object> sig1 = new LinkedHashMap<>();
        byte[] pt1 = signedPlaintext(backend, "Aegis 1, command", "cmd-0001", "request", "commands",
                "agent:" + AGENT_ID, COMMAND_EXPIRES, utf8(body1), sig1);
        Map<String, Object> s1 = record(sessionId, 0x53, sAp, 0, 1, "cmd-0001", "request", "commands", T_S1,
                new TreeMap<>(), pt1);
        s1.put("body", body1);
        s1.put("audience", "agent:" + AGENT_ID);
        s1.put("expires_at", COMMAND_EXPIRES);
        s1.putAll(sig1);
        records.put("s2c_1_signed_command", s1);

        String body2 = "{\"ok\":true}";
        Map<String, Object> sig2 = new LinkedHashMap<>();
        byte[] pt2 = signedPlaintext(agent, "Aegis 1, agent message", "rsp-0001", "response", "commands", "backend", 0,
                utf8(body2), sig2);
        Map<String, Object> c1 = record(sessionId, 0x43, cAp, 0, 1, "rsp-0001", "response", "commands", T_C1,
                new TreeMap<>(Map.of("in-reply-to", "cmd-0001")), pt2);
        c1.put("body", body2);
        c1.put("audience", "backend");
        c1.put("expires_at", 0);
        c1.putAll(sig2);
        records.put("c2s_1_signed_agent_message", c1);

        String kuBody = "{\"update_requested\":false}";
        Map<String, Object> c2 = record(sessionId, 0x43, cAp, 0, 2, "key_update:0", "key_update", "control",
                T_KEY_UPDATE, new TreeMap<>(), bytes().u8(0).raw(utf8(kuBody)).bytes());
        c2.put("body", kuBody);
        byte[] cAp1 = SpecMath.upd(cAp);
        c2.put("next_secret", hex(cAp1));
        c2.put("next_key", hex(SpecMath.key(cAp1)));
        c2.put("next_iv", hex(SpecMath.iv(cAp1)));
        records.put("c2s_2_key_update", c2);

        String body3 = "{\"n\":2}";
        Map<String, Object> c3r = record(sessionId, 0x43, cAp1, 1, 0, "evt-0002", "event", "events", T_C3,
                new TreeMap<>(), bytes().u8(0).raw(utf8(body3)).bytes());
        c3r.put("body", body3);
        records.put("c2s_epoch1_0_event", c3r);
        v.put("records", records);

        // Building blocks.
        Map<String, Object> misc = new LinkedHashMap<>();
        byte[] salt = HEX.parseHex("000102030405060708090a0b0c");
        byte[] ikm = HEX.parseHex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
        byte[] prk = SpecMath.extract(salt, ikm);
        Map<String, Object> ex = new LinkedHashMap<>();
        ex.put("salt", hex(salt));
        ex.put("ikm", hex(ikm));
        ex.put("prk", hex(prk));
        misc.put("hkdf_extract", ex);
        Map<String, Object> el = new LinkedHashMap<>();
        el.put("secret", hex(prk));
        el.put("label", "c hs");
        el.put("context", hex(utf8("hello")));
        el.put("length", 32);
        el.put("info", hex(SpecMath.labelInfo("c hs", utf8("hello"), 32)));
        el.put("output", hex(SpecMath.expandLabel(prk, "c hs", utf8("hello"), 32)));
        misc.put("expand_label", el);
        Map<String, Object> tk = new LinkedHashMap<>();
        tk.put("secret", hex(prk));
        tk.put("key_info", hex(SpecMath.labelInfo("key", new byte[0], 32)));
        tk.put("key", hex(SpecMath.key(prk)));
        tk.put("iv_info", hex(SpecMath.labelInfo("iv", new byte[0], 12)));
        tk.put("iv", hex(SpecMath.iv(prk)));
        tk.put("upd", hex(SpecMath.upd(prk)));
        tk.put("nonce_seq_258", hex(SpecMath.nonce(SpecMath.iv(prk), 258)));
        misc.put("traffic_keys", tk);
        Map<String, Object> ki = new LinkedHashMap<>();
        ki.put("public_key", hex(agentPub));
        ki.put("sha256", hex(sha256(agentPub)));
        ki.put("key_id", hex(SpecMath.keyId(agentPub)));
        misc.put("key_id", ki);
        Map<String, Object> http = new LinkedHashMap<>();
        String httpNonce = "dGVzdC1ub25jZS0wMDAx";
        long httpTs = T + 5000;
        byte[] httpInput = SpecMath.httpAuthInput(AGENT_ID, httpTs, httpNonce);
        http.put("agent_id", AGENT_ID);
        http.put("timestamp", httpTs);
        http.put("nonce", httpNonce);
        http.put("digest", hex(sha256(bytes().vec16(AGENT_ID).u64(httpTs).vec16(httpNonce).bytes())));
        http.put("signing_input", hex(httpInput));
        http.put("signature", hex(agent.sign(httpInput)));
        misc.put("http_auth", http);
        Map<String, Object> rot = new LinkedHashMap<>();
        IdentityKeyPair rotated = IdentityKeyPair.fromSeed(ROTATED_AGENT_SEED);
        long rotTs = T + 6000;
        byte[] rotInput = SpecMath.keyRotationInput(AGENT_ID, agentPub, rotated.publicKey().encoded(), rotTs);
        rot.put("agent_id", AGENT_ID);
        rot.put("timestamp", rotTs);
        rot.put("old_public_key", hex(agentPub));
        rot.put("new_identity_seed", hex(ROTATED_AGENT_SEED));
        rot.put("new_public_key", hex(rotated.publicKey().encoded()));
        rot.put("digest", hex(sha256(bytes().vec16(AGENT_ID).raw(agentPub).raw(rotated.publicKey().encoded()).u64(rotTs).bytes())));
        rot.put("signing_input", hex(rotInput));
        rot.put("signature_old", hex(agent.sign(rotInput)));
        rot.put("signature_new", hex(rotated.sign(rotInput)));
        misc.put("key_rotation", rot);
        v.put("building_blocks", misc);
        return v;
    }

    /** The vectors as Markdown for docs/PROTOCOL.md: one fenced block per group, "name = value" lines. */
    @SuppressWarnings("unchecked")
    public static String markdown() {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, Object> group : compute().entrySet()) {
            if (!(group.getValue() instanceof Map<?, ?> g)) {
                continue;
            }
            boolean nested = g.values().stream().anyMatch(x -> x instanceof Map);
            if (nested) {
                sb.append("#### ").append(group.getKey()).append("\n\n");
                StringBuilder flat = new StringBuilder();
                for (Map.Entry<String, Object> e : ((Map<String, Object>) g).entrySet()) {
                    if (e.getValue() instanceof Map<?, ?> sub) {
                        sb.append("`").append(e.getKey()).append("`\n\n```\n");
                        sub.forEach((k, val) -> sb.append(k).append(" = ").append(val).append("\n"));
                        sb.append("```\n\n");
                    } else {
                        flat.append(e.getKey()).append(" = ").append(e.getValue()).append("\n");
                    }
                }
                if (flat.length() > 0) {
                    sb.append("```\n").append(flat).append("```\n\n");
                }
            } else {
                sb.append("#### ").append(group.getKey()).append("\n\n```\n");
                g.forEach((k, val) -> sb.append(k).append(" = ").append(val).append("\n"));
                sb.append("```\n\n");
            }
        }
        return sb.toString();
    }

    /**
     * Writes src/test/resources/vectors/v1.json and target/vectors.md (run from the module
     * directory with the test class path).
     */
    public static void main(String[] args) throws Exception {
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        Path out = Path.of(args.length > 0 ? args[0] : "src/test/resources/vectors/v1.json");
        Files.writeString(out, mapper.writeValueAsString(compute()) + "\n");
        Files.writeString(Path.of("target/vectors.md"), markdown());
        System.out.println("wrote " + out.toAbsolutePath() + " and target/vectors.md");
    }
}
