package io.aegis.protocol.vectors;

import static io.aegis.protocol.vectors.V1Vectors.AGENT_ID;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.aegis.protocol.HttpAuth;
import io.aegis.protocol.IdentityKeyPair;
import io.aegis.protocol.PinnedBackendKeys;
import io.aegis.protocol.crypto.Hex;
import io.aegis.protocol.crypto.StrictBase64;
import io.aegis.protocol.http.AgentPoll;
import io.aegis.protocol.http.AgentPost;
import io.aegis.protocol.http.GatewayAnswer;
import io.aegis.protocol.http.HttpExchange;
import io.aegis.protocol.http.HttpSession;
import io.aegis.protocol.http.HttpSessionKeys;
import io.aegis.protocol.http.ReceivedPost;
import io.aegis.protocol.record.CommandSigner;
import io.aegis.protocol.record.CommandVerifier;
import io.aegis.protocol.record.OpenedRecord;
import io.aegis.protocol.record.VerificationResult;
import io.aegis.protocol.testing.MutableClock;
import io.aegis.protocol.testing.ScriptedRandom;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Checks the HTTP transport's vectors as {@link TestVectorsTest} checks the WebSocket ones: the
 * file equals a fresh computation with the spec formulas, the library (agent and gateway side)
 * reproduces every value and body byte for byte, and docs/PROTOCOL.md quotes every value.
 */
class HttpTestVectorsTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static JsonNode file;

    @BeforeAll
    static void load() throws Exception {
        try (InputStream in = HttpTestVectorsTest.class.getResourceAsStream("/vectors/v1-http.json")) {
            file = MAPPER.readTree(in);
        }
    }

    private static String s(String group, String name) {
        return file.get(group).get(name).asText();
    }

    private static String rec(String record, String name) {
        return file.get("http_records").get(record).get(name).asText();
    }

    @Test
    void theFileEqualsAFreshComputationFromItsInputs() {
        List<String> diffs = new ArrayList<>();
        TestVectorsTest.diff("", MAPPER.valueToTree(V1HttpVectors.compute()), file, diffs);
        assertThat(diffs).isEmpty();
    }

    @Test
    void theLibraryReproducesTheSessionAndEveryBody() throws Exception {
        IdentityKeyPair agent = IdentityKeyPair.fromSeed(V1Vectors.AGENT_SEED);
        IdentityKeyPair backend = IdentityKeyPair.fromSeed(V1Vectors.BACKEND_SEED);
        MutableClock agentClock = new MutableClock(V1HttpVectors.T_AUTH);
        MutableClock gatewayClock = new MutableClock(V1HttpVectors.T_AUTH);

        // POST /api/v1/auth: the agent's offer, the gateway's keys, the agent's check.
        HttpSessionKeys.Offer offer = HttpSessionKeys.offer(agent, AGENT_ID, V1HttpVectors.T_AUTH,
                V1HttpVectors.AUTH_NONCE, new ScriptedRandom(V1HttpVectors.EA_PRIVATE));
        HttpSessionKeys.Request request = offer.request();
        assertThat(Hex.encode(request.ephemeralKey())).isEqualTo(s("http_session", "agent_ephemeral_public"));
        assertThat(Hex.encode(request.signature())).isEqualTo(s("http_session", "request_signature"));
        assertThat(Hex.encode(HttpAuth.sessionRequestCanonical(AGENT_ID, V1HttpVectors.T_AUTH, V1HttpVectors.AUTH_NONCE,
                request.ephemeralKey()))).isEqualTo(s("http_session", "request_signing_input"));
        assertThat(HttpAuth.verifySessionRequest(agent.publicKey(), AGENT_ID, V1HttpVectors.T_AUTH,
                V1HttpVectors.AUTH_NONCE, request.ephemeralKey(), request.signature())).isTrue();

        HttpSessionKeys.Issued issued = HttpSessionKeys.issue(backend, agent.publicKey(), request,
                new ScriptedRandom(V1HttpVectors.EB_PRIVATE, V1HttpVectors.NB), gatewayClock, 1 << 20);
        HttpSessionKeys.Response response = issued.response();
        assertThat(Hex.encode(HttpSessionKeys.transcript(request, response.backendEphemeral(), response.serverNonce())))
                .isEqualTo(s("http_session", "th"));
        assertThat(Hex.encode(response.backendEphemeral())).isEqualTo(s("http_session", "backend_ephemeral_public"));
        assertThat(Hex.encode(response.backendSignature())).isEqualTo(s("http_session", "server_signature"));
        assertThat(Hex.encode(response.sessionId())).isEqualTo(s("http_session", "session_id"));
        assertThat(s("http_session", "response_fields")).contains(
                "\"backend_key_id\":\"" + Hex.encode(response.backendKeyId()) + "\"",
                "\"server_nonce\":\"" + StrictBase64.encode(response.serverNonce()) + "\"");
        HttpSession gateway = issued.session();
        assertThat(Hex.encode(gateway.export())).isEqualTo(s("http_session", "c_ap") + s("http_session", "s_ap")
                + s("http_session", "session_id"));
        HttpSession session = offer.complete(PinnedBackendKeys.of(backend.publicKey()), response, agentClock, 1 << 20);
        assertThat(session.export()).isEqualTo(gateway.export());

        // A poll: the gateway seals a command and a broadcast; the agent opens and verifies both.
        AgentPoll poll = session.newPoll(new ScriptedRandom(V1HttpVectors.POLL_CLIENT_NONCE));
        assertThat(poll.clientNonceHeader()).isEqualTo(s("http_poll", "client_nonce_header"));
        assertThat(Hex.encode(HttpExchange.answerSecret(Hex.decode(s("http_session", "s_ap")),
                poll.clientNonce(), V1HttpVectors.POLL_SERVER_NONCE))).isEqualTo(s("http_poll", "secret"));
        GatewayAnswer answer = gateway.newAnswer(StrictBase64.decode(poll.clientNonceHeader()),
                new ScriptedRandom(V1HttpVectors.POLL_SERVER_NONCE));
        CommandSigner signer = CommandSigner.backend(backend);
        gatewayClock.set(V1HttpVectors.T_POLL_0);
        answer.seal(signer.toAgent(AGENT_ID, "cmd-0002", "request", "commands", V1HttpVectors.COMMAND_EXPIRES,
                bytes(V1HttpVectors.COMMAND_BODY)), Map.of());
        gatewayClock.set(V1HttpVectors.T_POLL_1);
        answer.seal(signer.broadcast("bc-0001", "event", "announcements", V1HttpVectors.BROADCAST_EXPIRES,
                bytes(V1HttpVectors.BROADCAST_BODY)), Map.of("priority", "low"));
        assertThat(answer.body()).isEqualTo(s("http_poll", "answer_json"));
        assertThat(answer.encodedLength()).isGreaterThanOrEqualTo(answer.body().length());

        agentClock.set(V1HttpVectors.T_POLL_1);
        List<OpenedRecord> opened = poll.openAnswer(answer.body());
        assertThat(opened).extracting(OpenedRecord::id).containsExactly("cmd-0002", "bc-0001");
        assertThat(opened.get(1).bodyText()).isEqualTo(rec("poll_s2c_1_signed_broadcast", "body"));
        CommandVerifier verifier = new CommandVerifier(AGENT_ID, PinnedBackendKeys.of(backend.publicKey()), agentClock, 10);
        assertThat(opened).allSatisfy(r -> assertThat(verifier.verify(r)).isEqualTo(VerificationResult.ACCEPTED));

        // A post: the agent acknowledges both; the gateway opens it.
        AgentPost post = session.newPost(new ScriptedRandom(V1HttpVectors.POST_NONCE));
        agentClock.set(V1HttpVectors.T_POST_0);
        post.seal("ack-0001", "ack", "control", Map.of(), bytes(V1HttpVectors.ACK_BODY));
        assertThat(post.body()).isEqualTo(s("http_post", "body_json"));
        assertThat(Hex.encode(HttpExchange.postSecret(Hex.decode(s("http_session", "c_ap")), post.nonce())))
                .isEqualTo(s("http_post", "secret"));
        ReceivedPost received = gateway.openPost(bytes(post.body()));
        assertThat(received.nonce()).isEqualTo(V1HttpVectors.POST_NONCE);
        assertThat(received.records()).singleElement().satisfies(r -> {
            assertThat(r.type()).isEqualTo("ack");
            assertThat(r.bodyText()).isEqualTo(rec("post_c2s_0_ack", "body"));
        });
    }

    @Test
    void aRequestNamingItsBackendKeySignsTheKeyIdToo() throws Exception {
        IdentityKeyPair agent = IdentityKeyPair.fromSeed(V1Vectors.AGENT_SEED);
        IdentityKeyPair backend = IdentityKeyPair.fromSeed(V1Vectors.BACKEND_SEED);
        byte[] asked = Hex.decode(s("http_session_with_backend_key_id", "backend_key_id"));
        assertThat(asked).isEqualTo(backend.publicKey().keyId());
        HttpSessionKeys.Offer offer = HttpSessionKeys.offer(agent, AGENT_ID, V1HttpVectors.T_AUTH,
                V1HttpVectors.AUTH_NONCE, asked, new ScriptedRandom(V1HttpVectors.EA_PRIVATE));
        HttpSessionKeys.Request request = offer.request();
        assertThat(request.backendKeyId()).isEqualTo(asked);
        assertThat(Hex.encode(HttpAuth.sessionRequestCanonical(AGENT_ID, V1HttpVectors.T_AUTH, V1HttpVectors.AUTH_NONCE,
                request.ephemeralKey(), asked))).isEqualTo(s("http_session_with_backend_key_id", "request_signing_input"));
        assertThat(Hex.encode(request.signature())).isEqualTo(s("http_session_with_backend_key_id", "request_signature"));
        // The key id is signed: the same signature does not verify without it, or with another.
        assertThat(HttpAuth.verifySessionRequest(agent.publicKey(), AGENT_ID, V1HttpVectors.T_AUTH,
                V1HttpVectors.AUTH_NONCE, request.ephemeralKey(), asked, request.signature())).isTrue();
        assertThat(HttpAuth.verifySessionRequest(agent.publicKey(), AGENT_ID, V1HttpVectors.T_AUTH,
                V1HttpVectors.AUTH_NONCE, request.ephemeralKey(), request.signature())).isFalse();
        byte[] other = asked.clone();
        other[0] ^= 1;
        assertThat(HttpAuth.verifySessionRequest(agent.publicKey(), AGENT_ID, V1HttpVectors.T_AUTH,
                V1HttpVectors.AUTH_NONCE, request.ephemeralKey(), other, request.signature())).isFalse();

        HttpSessionKeys.Issued issued = HttpSessionKeys.issue(backend, agent.publicKey(), request,
                new ScriptedRandom(V1HttpVectors.EB_PRIVATE, V1HttpVectors.NB), new MutableClock(V1HttpVectors.T_AUTH),
                1 << 20);
        assertThat(Hex.encode(HttpSessionKeys.transcript(request, issued.response().backendEphemeral(),
                issued.response().serverNonce()))).isEqualTo(s("http_session_with_backend_key_id", "th"));
        assertThat(Hex.encode(issued.response().backendSignature()))
                .isEqualTo(s("http_session_with_backend_key_id", "server_signature"));
        assertThat(Hex.encode(issued.response().sessionId())).isEqualTo(s("http_session_with_backend_key_id", "session_id"));
        try (HttpSession session = offer.complete(PinnedBackendKeys.of(backend.publicKey()), issued.response(),
                new MutableClock(V1HttpVectors.T_AUTH), 1 << 20)) {
            assertThat(session.export()).isEqualTo(issued.session().export());
        }
    }

    @Test
    void theProtocolDocumentQuotesEveryVector() throws Exception {
        String text = Files.readString(Path.of("..", "docs", "PROTOCOL.md"));
        List<String> missing = new ArrayList<>();
        TestVectorsTest.collect(file, "", text, missing);
        assertThat(missing).isEmpty();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
