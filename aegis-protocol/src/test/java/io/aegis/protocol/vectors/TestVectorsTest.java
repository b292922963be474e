package io.aegis.protocol.vectors;

import static io.aegis.protocol.vectors.V1Vectors.AGENT_ID;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.aegis.protocol.BackendKeyRing;
import io.aegis.protocol.HttpAuth;
import io.aegis.protocol.IdentityKeyPair;
import io.aegis.protocol.PinnedBackendKeys;
import io.aegis.protocol.WireJson;
import io.aegis.protocol.crypto.Hex;
import io.aegis.protocol.crypto.Hkdf;
import io.aegis.protocol.crypto.TrafficKeys;
import io.aegis.protocol.handshake.ClientHandshake;
import io.aegis.protocol.handshake.ServerHandshake;
import io.aegis.protocol.record.AgentMessageVerifier;
import io.aegis.protocol.record.CommandSigner;
import io.aegis.protocol.record.CommandVerifier;
import io.aegis.protocol.record.OpenedRecord;
import io.aegis.protocol.record.RecordFormat;
import io.aegis.protocol.record.SecureChannel;
import io.aegis.protocol.record.VerificationResult;
import io.aegis.protocol.testing.MutableClock;
import io.aegis.protocol.testing.ScriptedRandom;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Checks the published test vectors three ways: the file equals a fresh computation from the
 * inputs with the spec formulas; the library's state machines, fed the same inputs, produce the
 * same frames byte for byte and accept each other's; and docs/PROTOCOL.md quotes every value.
 */
class TestVectorsTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static JsonNode file;

    @BeforeAll
    static void load() throws Exception {
        try (InputStream in = TestVectorsTest.class.getResourceAsStream("/vectors/v1.json")) {
            file = MAPPER.readTree(in);
        }
    }

    private static String s(String group, String name) {
        return file.get(group).get(name).asText();
    }

    private static String rec(String record, String name) {
        return file.get("records").get(record).get(name).asText();
    }

    @Test
    void theFileEqualsAFreshComputationFromItsInputs() {
        JsonNode computed = MAPPER.valueToTree(V1Vectors.compute());
        List<String> diffs = new ArrayList<>();
        diff("", computed, file, diffs);
        assertThat(diffs).isEmpty();
    }

    private static void diff(String path, JsonNode expected, JsonNode actual, List<String> out) {
        if (expected.isObject() && actual != null && actual.isObject()) {
            Iterator<String> names = expected.fieldNames();
            while (names.hasNext()) {
                String n = names.next();
                diff(path + "/" + n, expected.get(n), actual.get(n), out);
            }
            actual.fieldNames().forEachRemaining(n -> {
                if (!expected.has(n)) {
                    out.add(path + "/" + n + " is in the file only");
                }
            });
        } else if (actual == null || expected.isNumber() != actual.isNumber()
                || !expected.asText().equals(actual.asText())) {
            out.add(path + ": computed " + expected + ", file " + actual);
        }
    }

    @Test
    void theStateMachinesReproduceEveryFrame() throws Exception {
        IdentityKeyPair agent = IdentityKeyPair.fromSeed(V1Vectors.AGENT_SEED);
        IdentityKeyPair backend = IdentityKeyPair.fromSeed(V1Vectors.BACKEND_SEED);
        MutableClock agentClock = new MutableClock(V1Vectors.T_CLIENT_HELLO);
        MutableClock gatewayClock = new MutableClock(V1Vectors.T_SERVER_HELLO);
        ClientHandshake client = new ClientHandshake(new ClientHandshake.Config(AGENT_ID, agent,
                PinnedBackendKeys.of(backend.publicKey()), agentClock,
                new ScriptedRandom(V1Vectors.EA_PRIVATE, V1Vectors.NA), 1 << 20));
        ServerHandshake server = new ServerHandshake(new ServerHandshake.Config(BackendKeyRing.of(backend), gatewayClock,
                new ScriptedRandom(V1Vectors.EB_PRIVATE, V1Vectors.NB), Duration.ofMinutes(5), 1 << 20));

        String m1 = client.clientHello();
        assertThat(m1).isEqualTo(s("handshake", "client_hello_json"));
        String m2 = server.onClientHello(m1, id -> id.equals(AGENT_ID) ? agent.publicKey() : null);
        assertThat(m2).isEqualTo(s("handshake", "server_hello_json"));
        agentClock.set(V1Vectors.T_CLIENT_AUTH);
        String m3 = client.onServerHello(m2);
        assertThat(m3).isEqualTo(s("handshake", "client_auth_json"));
        gatewayClock.set(V1Vectors.T_SESSION);
        ServerHandshake.Established gw = server.onClientAuth(m3);
        assertThat(gw.sessionIdHex()).isEqualTo(s("handshake", "session_id"));
        String session = gw.sessionRecord(V1Vectors.SESSION_TOKEN, V1Vectors.EXPIRES_AT);
        assertThat(session).isEqualTo(rec("s2c_0_session", "json"));
        ClientHandshake.Established ag = client.onSessionRecord(session);
        assertThat(WireJson.encode(ag.response())).isEqualTo(rec("s2c_0_session", "body"));
        SecureChannel a = ag.channel();
        SecureChannel g = gw.channel();

        agentClock.set(V1Vectors.T_C0);
        String c0 = WireJson.encode(a.seal("evt-0001", "event", "events/alerts",
                Map.of("trace-id", "4bf92f3577b34da6", "priority", "high"), bytes(rec("c2s_0_event_with_headers", "body"))));
        assertThat(c0).isEqualTo(rec("c2s_0_event_with_headers", "json"));
        assertThat(g.open(c0).bodyText()).isEqualTo(rec("c2s_0_event_with_headers", "body"));

        gatewayClock.set(V1Vectors.T_S1);
        agentClock.set(V1Vectors.T_S1);
        var cmd = CommandSigner.backend(backend).toAgent(AGENT_ID, "cmd-0001", "request", "commands",
                V1Vectors.COMMAND_EXPIRES, bytes(rec("s2c_1_signed_command", "body")));
        String s1 = WireJson.encode(g.seal(cmd, Map.of()));
        assertThat(s1).isEqualTo(rec("s2c_1_signed_command", "json"));
        OpenedRecord opened = a.open(s1);
        assertThat(new CommandVerifier(AGENT_ID, PinnedBackendKeys.of(backend.publicKey()), agentClock, 10).verify(opened))
                .isEqualTo(VerificationResult.ACCEPTED);

        agentClock.set(V1Vectors.T_C1);
        var rsp = CommandSigner.agent(agent).agentMessage("rsp-0001", "response", "commands",
                bytes(rec("c2s_1_signed_agent_message", "body")));
        String c1 = WireJson.encode(a.seal(rsp, Map.of("in-reply-to", "cmd-0001")));
        assertThat(c1).isEqualTo(rec("c2s_1_signed_agent_message", "json"));
        assertThat(AgentMessageVerifier.verify(g.open(c1), agent.publicKey())).isEqualTo(VerificationResult.ACCEPTED);

        agentClock.set(V1Vectors.T_KEY_UPDATE);
        String c2 = WireJson.encode(a.sealKeyUpdate(false));
        assertThat(c2).isEqualTo(rec("c2s_2_key_update", "json"));
        assertThat(g.open(c2).keyUpdate()).isTrue();

        agentClock.set(V1Vectors.T_C3);
        String c3 = WireJson.encode(a.seal("evt-0002", "event", "events", bytes(rec("c2s_epoch1_0_event", "body"))));
        assertThat(c3).isEqualTo(rec("c2s_epoch1_0_event", "json"));
        assertThat(g.open(c3).epoch()).isEqualTo(1);
    }

    @Test
    void theLibraryBuildingBlocksMatch() {
        JsonNode b = file.get("building_blocks");
        byte[] prk = Hkdf.extract(Hex.decode(b.get("hkdf_extract").get("salt").asText()),
                Hex.decode(b.get("hkdf_extract").get("ikm").asText()));
        assertThat(Hex.encode(prk)).isEqualTo(b.get("hkdf_extract").get("prk").asText());
        JsonNode el = b.get("expand_label");
        assertThat(Hex.encode(Hkdf.labelInfo("c hs", Hex.decode(el.get("context").asText()), 32))).isEqualTo(el.get("info").asText());
        assertThat(Hex.encode(Hkdf.expandLabel(prk, "c hs", Hex.decode(el.get("context").asText()), 32)))
                .isEqualTo(el.get("output").asText());
        JsonNode tk = b.get("traffic_keys");
        assertThat(Hex.encode(TrafficKeys.key(prk))).isEqualTo(tk.get("key").asText());
        assertThat(Hex.encode(TrafficKeys.iv(prk))).isEqualTo(tk.get("iv").asText());
        assertThat(Hex.encode(TrafficKeys.next(prk))).isEqualTo(tk.get("upd").asText());
        assertThat(Hex.encode(TrafficKeys.nonce(TrafficKeys.iv(prk), 258))).isEqualTo(tk.get("nonce_seq_258").asText());
        IdentityKeyPair agent = IdentityKeyPair.fromSeed(V1Vectors.AGENT_SEED);
        assertThat(agent.publicKey().keyIdHex()).isEqualTo(b.get("key_id").get("key_id").asText());
        JsonNode http = b.get("http_auth");
        byte[] input = HttpAuth.canonical(http.get("agent_id").asText(), http.get("timestamp").asLong(),
                http.get("nonce").asText());
        assertThat(Hex.encode(input)).isEqualTo(http.get("signing_input").asText());
        assertThat(Hex.encode(HttpAuth.sign(agent, AGENT_ID, http.get("timestamp").asLong(), http.get("nonce").asText())))
                .isEqualTo(http.get("signature").asText());
        JsonNode rot = b.get("key_rotation");
        IdentityKeyPair rotated = IdentityKeyPair.fromSeed(Hex.decode(rot.get("new_identity_seed").asText()));
        assertThat(rotated.publicKey().encoded()).isEqualTo(Hex.decode(rot.get("new_public_key").asText()));
        long rotTs = rot.get("timestamp").asLong();
        assertThat(Hex.encode(io.aegis.protocol.KeyRotation.digest(AGENT_ID, agent.publicKey(), rotated.publicKey(), rotTs)))
                .isEqualTo(rot.get("digest").asText());
        assertThat(Hex.encode(io.aegis.protocol.KeyRotation.canonical(AGENT_ID, agent.publicKey(), rotated.publicKey(), rotTs)))
                .isEqualTo(rot.get("signing_input").asText());
        io.aegis.protocol.KeyRotation.Signatures sigs = io.aegis.protocol.KeyRotation.sign(AGENT_ID, agent, rotated, rotTs);
        assertThat(Hex.encode(sigs.oldKeySignature())).isEqualTo(rot.get("signature_old").asText());
        assertThat(Hex.encode(sigs.newKeySignature())).isEqualTo(rot.get("signature_new").asText());
        // Record-layer canonical bytes through the library's own encoder.
        JsonNode c0 = file.get("records").get("c2s_0_event_with_headers");
        byte[] aad = RecordFormat.aad(Hex.decode(s("handshake", "session_id")), (byte) 0x43, 0, 0, "evt-0001", "event",
                "events/alerts", V1Vectors.T_C0, new java.util.TreeMap<>(Map.of("trace-id", "4bf92f3577b34da6", "priority", "high")));
        assertThat(Hex.encode(aad)).isEqualTo(c0.get("aad").asText());
    }

    @Test
    void theProtocolDocumentQuotesEveryVector() throws Exception {
        Path doc = Path.of("..", "docs", "PROTOCOL.md");
        assertThat(doc).exists();
        String text = Files.readString(doc);
        List<String> missing = new ArrayList<>();
        collect(file, "", text, missing);
        assertThat(missing).isEmpty();
    }

    private static void collect(JsonNode n, String path, String doc, List<String> missing) {
        if (n.isObject()) {
            n.fields().forEachRemaining(e -> collect(e.getValue(), path + "/" + e.getKey(), doc, missing));
        } else if (!doc.contains(n.asText())) {
            missing.add(path);
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
