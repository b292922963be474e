package io.aegis.protocol.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aegis.protocol.IdentityKeyPair;
import io.aegis.protocol.PinnedBackendKeys;
import io.aegis.protocol.SecureMessage;
import io.aegis.protocol.WireJson;
import io.aegis.protocol.crypto.Hex;
import io.aegis.protocol.crypto.StrictBase64;
import io.aegis.protocol.handshake.HandshakeException;
import io.aegis.protocol.record.CommandSigner;
import io.aegis.protocol.record.OpenedRecord;
import io.aegis.protocol.record.RecordException;
import io.aegis.protocol.testing.MutableClock;
import io.aegis.protocol.testing.SpecMath;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The HTTP transport on bytes alone: key agreement, per-exchange keys, and every way a body can be refused. */
class HttpTransportTest {

    static final SecureRandom RANDOM = new SecureRandom();
    static final String AGENT = "agent-http-1";
    final IdentityKeyPair agentKey = IdentityKeyPair.generate(RANDOM);
    final IdentityKeyPair backendKey = IdentityKeyPair.generate(RANDOM);
    final MutableClock clock = new MutableClock(1_767_225_600_000L);
    HttpSession agent;
    HttpSession gateway;

    @BeforeEach
    void establish() throws Exception {
        HttpSessionKeys.Offer offer = HttpSessionKeys.offer(agentKey, AGENT, clock.millis(), "bm9uY2Utbm9uY2UtMDE=", RANDOM);
        HttpSessionKeys.Issued issued = HttpSessionKeys.issue(backendKey, agentKey.publicKey(), offer.request(), RANDOM,
                clock, 1 << 20);
        gateway = issued.session();
        agent = offer.complete(PinnedBackendKeys.of(backendKey.publicKey()), issued.response(), clock, 1 << 20);
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    String answerWithTwoCommands(AgentPoll poll) throws RecordException {
        GatewayAnswer answer = gateway.newAnswer(poll.clientNonce(), RANDOM);
        CommandSigner signer = CommandSigner.backend(backendKey);
        answer.seal(signer.toAgent(AGENT, "m-1", "request", "commands", 0, utf8("{\"n\":1}")), Map.of());
        answer.seal(signer.toAgent(AGENT, "m-2", "request", "commands", 0, utf8("{\"n\":2}")), Map.of());
        return answer.body();
    }

    @Test
    void bothSidesDeriveTheSameSessionAndExchangesRoundTrip() throws Exception {
        assertThat(agent.export()).isEqualTo(gateway.export());
        AgentPoll poll = agent.newPoll(RANDOM);
        List<OpenedRecord> opened = poll.openAnswer(answerWithTwoCommands(poll));
        assertThat(opened).extracting(OpenedRecord::id).containsExactly("m-1", "m-2");
        assertThat(opened).extracting(OpenedRecord::seq).containsExactly(0L, 1L);

        AgentPost post = agent.newPost(RANDOM);
        post.seal("a-1", "ack", "control", Map.of(), utf8("{\"ids\":[\"m-1\",\"m-2\"]}"));
        post.seal(CommandSigner.agent(agentKey).agentMessage("e-1", "event", "events", utf8("{}")), Map.of());
        ReceivedPost received = gateway.openPost(utf8(post.body()));
        assertThat(received.nonce()).isEqualTo(post.nonce());
        assertThat(received.records()).extracting(OpenedRecord::id).containsExactly("a-1", "e-1");
        GatewayAnswer answer = gateway.newAnswer(received.nonce(), RANDOM);
        answer.seal("r-1", "ack", "control", Map.of(), utf8("{\"ids\":[\"e-1\"]}"));
        assertThat(post.openAnswer(answer.body())).extracting(OpenedRecord::id).containsExactly("r-1");
    }

    @Test
    void anAnswerOpensOnlyForThePollItAnswers() throws Exception {
        AgentPoll poll = agent.newPoll(RANDOM);
        String body = answerWithTwoCommands(poll);
        AgentPoll other = agent.newPoll(RANDOM);
        assertThatThrownBy(() -> other.openAnswer(body)).isInstanceOf(RecordException.class);
        // Nor as the answer to a post (another client nonce), nor as a post (another direction and key).
        assertThatThrownBy(() -> agent.newPost(RANDOM).openAnswer(body)).isInstanceOf(RecordException.class);
        String asPost = body.replaceFirst("\"server_nonce\":\"[^\"]*\"", "\"nonce\":\"" + poll.clientNonceHeader() + "\"");
        assertThatThrownBy(() -> gateway.openPost(utf8(asPost))).isInstanceOf(RecordException.class);
    }

    @Test
    void reorderedDroppedOrTamperedRecordsFailTheWholeBody() throws Exception {
        AgentPoll poll = agent.newPoll(RANDOM);
        String body = answerWithTwoCommands(poll);
        RecordBatch batch = WireJson.decodeRecordBatch(utf8(body), WireJson.GATEWAY_ANSWER_NONCE, 16, 10, 1 << 20);
        List<SecureMessage> swapped = List.of(batch.records().get(1), batch.records().get(0));
        String reordered = WireJson.encode(WireJson.GATEWAY_ANSWER_NONCE, new RecordBatch(batch.nonce(), swapped));
        assertThatThrownBy(() -> poll.openAnswer(reordered)).isInstanceOf(RecordException.class)
                .extracting(e -> ((RecordException) e).reason()).isEqualTo(RecordException.Reason.NONCE_MISMATCH);
        String dropped = WireJson.encode(WireJson.GATEWAY_ANSWER_NONCE,
                new RecordBatch(batch.nonce(), List.of(batch.records().get(1))));
        assertThatThrownBy(() -> poll.openAnswer(dropped)).isInstanceOf(RecordException.class);

        SecureMessage first = batch.records().get(0);
        SecureMessage recast = new SecureMessage(first.id(), first.type(), "other", first.payload(), first.timestamp(),
                first.nonce(), "", first.headers());
        String tampered = WireJson.encode(WireJson.GATEWAY_ANSWER_NONCE,
                new RecordBatch(batch.nonce(), List.of(recast, batch.records().get(1))));
        assertThatThrownBy(() -> poll.openAnswer(tampered)).isInstanceOf(RecordException.class)
                .extracting(e -> ((RecordException) e).reason()).isEqualTo(RecordException.Reason.DECRYPT_FAILED);
    }

    @Test
    void aRecordOfAnotherSessionDoesNotOpen() throws Exception {
        HttpSessionKeys.Offer offer = HttpSessionKeys.offer(agentKey, AGENT, clock.millis(), "bm9uY2Utbm9uY2UtMDI=", RANDOM);
        HttpSession otherGateway = HttpSessionKeys.issue(backendKey, agentKey.publicKey(), offer.request(), RANDOM,
                clock, 1 << 20).session();
        AgentPost post = agent.newPost(RANDOM);
        post.seal("a-1", "ack", "control", Map.of(), utf8("{\"ids\":[]}"));
        assertThatThrownBy(() -> otherGateway.openPost(utf8(post.body()))).isInstanceOf(RecordException.class);
    }

    @Test
    void anExchangeCarriesNoSessionOrKeyUpdateRecord() throws Exception {
        AgentPost post = agent.newPost(RANDOM);
        assertThatThrownBy(() -> post.seal("session", "session", "control", Map.of(), utf8("{}")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> post.seal("key_update:0", "key_update", "control", Map.of(), utf8("{}")))
                .isInstanceOf(IllegalArgumentException.class);
        // A key_update sealed by hand under the right key is still refused.
        byte[] k = HttpExchange.postSecret(java.util.Arrays.copyOfRange(agent.export(), 0, 32), post.nonce());
        byte[] nonce = SpecMath.nonce(SpecMath.iv(k), 0);
        byte[] aad = SpecMath.aad(agent.sessionId(), 0x43, 0, 0, "key_update:0", "key_update", "control", 1L,
                new TreeMap<>());
        byte[] sealed = SpecMath.seal(SpecMath.key(k), nonce, aad, utf8("\u0000{\"update_requested\":false}"));
        SecureMessage m = new SecureMessage("key_update:0", "key_update", "control", StrictBase64.encode(sealed), 1L,
                StrictBase64.encode(nonce), "", new TreeMap<>());
        String body = WireJson.encode(WireJson.AGENT_POST_NONCE, new RecordBatch(post.nonce(), List.of(m)));
        assertThatThrownBy(() -> gateway.openPost(utf8(body))).isInstanceOf(RecordException.class)
                .extracting(e -> ((RecordException) e).reason()).isEqualTo(RecordException.Reason.BAD_CONTROL);
    }

    @Test
    void bodiesAreParsedStrictlyAndBounded() throws Exception {
        AgentPost post = agent.newPost(RANDOM);
        post.seal("a-1", "ack", "control", Map.of(), utf8("{\"ids\":[]}"));
        String body = post.body();
        for (String bad : List.of(body.replace("{\"nonce\"", "{\"x\":1,\"nonce\""), body.replace("\"nonce\"", "\"server_nonce\""),
                body + " {}", "[]", body.replace("\"records\":[", "\"records\":[1,"))) {
            assertThatThrownBy(() -> gateway.openPost(utf8(bad))).as(bad).isInstanceOf(RecordException.class)
                    .extracting(e -> ((RecordException) e).reason()).isEqualTo(RecordException.Reason.MALFORMED);
        }
        SecureMessage one = WireJson.decodeRecordBatch(utf8(body), "nonce", 32, 1, 1 << 20).records().get(0);
        List<SecureMessage> many = new ArrayList<>();
        for (int i = 0; i <= HttpExchange.MAX_RECORDS; i++) {
            many.add(one);
        }
        String tooMany = WireJson.encode(WireJson.AGENT_POST_NONCE, new RecordBatch(post.nonce(), many));
        assertThatThrownBy(() -> gateway.openPost(utf8(tooMany))).isInstanceOf(RecordException.class)
                .extracting(e -> ((RecordException) e).reason()).isEqualTo(RecordException.Reason.TOO_LARGE);
    }

    @Test
    void theAgentRefusesAForgedOrUnpinnedAnswer() throws Exception {
        HttpSessionKeys.Offer offer = HttpSessionKeys.offer(agentKey, AGENT, clock.millis(), "bm9uY2Utbm9uY2UtMDM=", RANDOM);
        HttpSessionKeys.Response good = HttpSessionKeys.issue(backendKey, agentKey.publicKey(), offer.request(), RANDOM,
                clock, 1 << 20).response();
        IdentityKeyPair impostor = IdentityKeyPair.generate(RANDOM);
        HttpSessionKeys.Response forged = HttpSessionKeys.issue(impostor, agentKey.publicKey(), offer.request(), RANDOM,
                clock, 1 << 20).response();
        assertThatThrownBy(() -> HttpSessionKeys.offer(agentKey, AGENT, clock.millis(), "bm9uY2Utbm9uY2UtMDQ=", RANDOM)
                .complete(PinnedBackendKeys.of(backendKey.publicKey()), forged, clock, 1 << 20))
                .isInstanceOf(HandshakeException.class);
        byte[] otherId = good.sessionId();
        otherId[0] ^= 1;
        HttpSessionKeys.Response wrongId = new HttpSessionKeys.Response(good.backendEphemeral(), good.serverNonce(),
                good.backendKeyId(), good.backendSignature(), otherId);
        assertThatThrownBy(() -> offer.complete(PinnedBackendKeys.of(backendKey.publicKey()), wrongId, clock, 1 << 20))
                .isInstanceOf(HandshakeException.class)
                .extracting(e -> ((HandshakeException) e).reason()).isEqualTo(HandshakeException.Reason.BAD_SESSION_RECORD);
        // A signature over another request's transcript (here: another nonce) does not verify.
        HttpSessionKeys.Offer second = HttpSessionKeys.offer(agentKey, AGENT, clock.millis(), "bm9uY2Utbm9uY2UtMDU=", RANDOM);
        assertThatThrownBy(() -> second.complete(PinnedBackendKeys.of(backendKey.publicKey()), good, clock, 1 << 20))
                .isInstanceOf(HandshakeException.class)
                .extracting(e -> ((HandshakeException) e).reason()).isEqualTo(HandshakeException.Reason.BAD_SIGNATURE);
    }

    @Test
    void theGatewayRefusesALowOrderEphemeral() {
        HttpSessionKeys.Request request = new HttpSessionKeys.Request(AGENT, clock.millis(), "bm9uY2Utbm9uY2UtMDY=",
                new byte[64], Hex.decode("0100000000000000000000000000000000000000000000000000000000000000"));
        assertThatThrownBy(() -> HttpSessionKeys.issue(backendKey, agentKey.publicKey(), request, RANDOM, clock, 1 << 20))
                .isInstanceOf(HandshakeException.class)
                .extracting(e -> ((HandshakeException) e).reason()).isEqualTo(HandshakeException.Reason.LOW_ORDER_EPHEMERAL);
    }

    @Test
    void aSessionSurvivesExportAndRestoreAndIsUselessOnceClosed() throws Exception {
        byte[] exported = gateway.export();
        HttpSession restored = HttpSession.restore(exported, clock, 1 << 20);
        AgentPost post = agent.newPost(RANDOM);
        post.seal("a-1", "ack", "control", Map.of(), utf8("{\"ids\":[]}"));
        assertThat(restored.openPost(utf8(post.body())).records()).hasSize(1);
        restored.close();
        assertThatThrownBy(() -> restored.openPost(utf8(post.body()))).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(restored::export).isInstanceOf(IllegalStateException.class);
    }
}
