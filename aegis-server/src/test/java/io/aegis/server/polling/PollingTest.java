package io.aegis.server.polling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.aegis.protocol.HttpAuth;
import io.aegis.protocol.IdentityKeyPair;
import io.aegis.protocol.SecureMessage;
import io.aegis.protocol.WireJson;
import io.aegis.protocol.crypto.StrictBase64;
import io.aegis.protocol.crypto.X25519;
import io.aegis.protocol.http.AgentPoll;
import io.aegis.protocol.http.AgentPost;
import io.aegis.protocol.http.HttpExchange;
import io.aegis.protocol.http.HttpSessionKeys;
import io.aegis.protocol.http.RecordBatch;
import io.aegis.protocol.record.CommandSigner;
import io.aegis.protocol.record.OpenedRecord;
import io.aegis.protocol.record.VerificationResult;
import io.aegis.server.testing.AgentIdentity;
import io.aegis.server.testing.ApiClient;
import io.aegis.server.testing.Gateways;
import io.aegis.server.testing.PollingClient;
import io.aegis.server.testing.StoreKind;
import io.aegis.server.testing.TestAgent;
import io.aegis.server.testing.TestGateway;
import io.aegis.server.testing.Waits;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The HTTP transport's own rules (docs/PROTOCOL.md §17), with an agent built from the protocol
 * classes only; the delivery guarantees it shares with WebSocket sessions are in DeliveryTest.
 */
class PollingTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final SecureRandom RANDOM = new SecureRandom();
  static final Gateways gateways = new Gateways(Map.of("AEGIS_AUTH_RATE_LIMIT", "0"));

  @AfterAll
  static void stop() {
    gateways.close();
  }

  static PollingClient connect(TestGateway gw, String prefix) {
    TestAgent agent = TestAgent.register(gw, Gateways.unique(prefix));
    return PollingClient.connect(gw, agent.agentId(), agent.key());
  }

  static String send(TestGateway gw, String agentId, Map<String, Object> body) {
    var r = gw.operator().post("/api/v1/agents/" + agentId + "/send", body);
    assertThat(r.status()).as(r.toString()).isIn(200, 202);
    return r.json().path("message_id").asText();
  }

  static String status(TestGateway gw, String messageId) {
    return gw.operator().get("/api/v1/messages/" + messageId).json().path("status").asText();
  }

  static int events(TestGateway gw, String agentId) {
    return gw.operator().get("/api/v1/agents/" + agentId + "/events").json().path("events").size();
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static final String EVENTS = "{\"events\":[{\"type\":\"process.start\",\"timestamp\":1764100000000,\"body\":{\"pid\":7}}]}";

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void theSessionKeysAreAgreedSignedAndKeptEncryptedAtRest(StoreKind store) throws Exception {
    TestGateway gw = gateways.get(store);
    TestAgent agent = TestAgent.register(gw, Gateways.unique("keys"));
    // PollingClient.connect verifies sigB against the pinned key and the session id: the keys agree.
    try (PollingClient client = PollingClient.connect(gw, agent.agentId(), agent.key())) {
      String id = send(gw, agent.agentId(), Map.of("channel", "commands", "message", Map.of("scan", true)));
      List<OpenedRecord> records = client.poll(Duration.ZERO);
      assertThat(records).singleElement().satisfies(r -> {
        assertThat(r.id()).isEqualTo(id);
        assertThat(agent.verifier().verify(r)).isEqualTo(VerificationResult.ACCEPTED);
      });
      // At rest, the record keys are sealed: neither c_ap, s_ap nor the whole export appears.
      byte[] exported = client.session().export();
      String blob = gw.server().database().read(c -> {
        try (PreparedStatement ps = c.prepareStatement(
            "SELECT record_keys FROM agent_sessions WHERE agent_id = ? AND record_keys IS NOT NULL")) {
          ps.setString(1, agent.agentId());
          try (ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getString(1);
          }
        }
      });
      byte[] raw = Base64.getDecoder().decode(blob);
      assertThat(raw).hasSize(12 + 80 + 16);
      assertThat(indexOf(raw, java.util.Arrays.copyOf(exported, 16))).isEqualTo(-1);
      assertThat(indexOf(raw, java.util.Arrays.copyOfRange(exported, 32, 48))).isEqualTo(-1);
    }
  }

  static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  @Test
  void anyNodeHoldingTheIdentityKeyServesTheSession() {
    // A restarted node stands in for another node: nothing of the session is in its memory.
    try (TestGateway gw = TestGateway.start(StoreKind.SQLITE)) {
      TestAgent agent = TestAgent.register(gw, Gateways.unique("node"));
      PollingClient client = PollingClient.connect(gw, agent.agentId(), agent.key());
      String id = send(gw, agent.agentId(), Map.of("channel", "commands", "message", Map.of("n", 1)));
      gw.restart();
      PollingClient again = client.at(gw);
      assertThat(again.poll(Duration.ZERO)).extracting(OpenedRecord::id).containsExactly(id);
      again.ack(id);
      await().atMost(Waits.EVENT).until(() -> status(gw, id).equals("delivered"));
      client.close();
    }
  }

  @Test
  void whoeverSeesTheAuthRequestCannotSwapItsEphemeralKey() {
    TestGateway gw = gateways.get(StoreKind.SQLITE);
    TestAgent agent = TestAgent.register(gw, Gateways.unique("mitm"));
    var offer = HttpSessionKeys.offer(agent.key(), agent.agentId(), System.currentTimeMillis(),
        AgentIdentity.nonce(), RANDOM);
    Map<String, Object> body = new HashMap<>(PollingClient.authBody(offer.request()));
    byte[] mine = X25519.publicKey(X25519.generatePrivate(RANDOM));
    Map<String, Object> swapped = new HashMap<>(body);
    swapped.put("ephemeral_key", StrictBase64.encode(mine));
    var r = gw.anonymous().post("/api/v1/auth", swapped);
    assertThat(r.status()).isEqualTo(401);
    assertThat(r.errorCode()).isEqualTo("authentication_failed");
    // A request signed the plain way does not get record keys either.
    Map<String, Object> plain = new HashMap<>(new AgentIdentity(agent.agentId(),
        agent.key()).authRequest());
    plain.put("ephemeral_key", body.get("ephemeral_key"));
    assertThat(gw.anonymous().post("/api/v1/auth", plain).status()).isEqualTo(401);
    Map<String, Object> malformed = new HashMap<>(body);
    malformed.put("ephemeral_key", "AAAA");
    assertThat(gw.anonymous().post("/api/v1/auth", malformed).errorCode()).isEqualTo("invalid_request");
    // The genuine request still works: refusals did not use up its nonce.
    var ok = gw.anonymous().post("/api/v1/auth", body);
    assertThat(ok.status()).as(ok.toString()).isEqualTo(200);
    assertThat(ok.json().path("backend_key_id").asText()).isEqualTo(gw.server().identity().publicKey().keyIdHex());
  }

  @Test
  void aLowOrderEphemeralKeyIsRefusedLikeAnyFailedAuthentication() {
    TestGateway gw = gateways.get(StoreKind.SQLITE);
    TestAgent agent = TestAgent.register(gw, Gateways.unique("loworder"));
    byte[] lowOrder = new byte[32];
    lowOrder[0] = 1;
    long now = System.currentTimeMillis();
    String nonce = AgentIdentity.nonce();
    byte[] sig = HttpAuth.signSessionRequest(agent.key(), agent.agentId(), now, nonce, lowOrder);
    var r = gw.anonymous().post("/api/v1/auth", Map.of("agent_id", agent.agentId(), "timestamp", now, "nonce", nonce,
        "signature", StrictBase64.encode(sig), "ephemeral_key", StrictBase64.encode(lowOrder)));
    assertThat(r.status()).isEqualTo(401);
    assertThat(r.errorCode()).isEqualTo("authentication_failed");
  }

  @Test
  void aSessionWithoutRecordKeysCannotPollButCanAckPlainly() {
    TestGateway gw = gateways.get(StoreKind.SQLITE);
    TestAgent agent = TestAgent.register(gw, Gateways.unique("nokeys"));
    var auth = gw.anonymous().post("/api/v1/auth", new AgentIdentity(agent.agentId(),
        agent.key()).authRequest());
    assertThat(auth.json().has("session_id")).isFalse();
    assertThat(auth.json().path("backend_key").asText()).isEqualTo(gw.server().identity().publicKey().base64());
    ApiClient api = gw.withToken(auth.json().path("session_token").asText());
    String base = "/api/v1/agents/" + agent.agentId() + "/messages";
    var poll = api.get(base + "/poll", Map.of(HttpExchange.CLIENT_NONCE_HEADER, StrictBase64.encode(new byte[32])));
    assertThat(poll.status()).isEqualTo(409);
    assertThat(poll.errorCode()).isEqualTo("no_record_keys");
    assertThat(api.post(base, "{\"nonce\":\"x\",\"records\":[]}").errorCode()).isEqualTo("no_record_keys");

    String id = send(gw, agent.agentId(), Map.of("channel", "commands", "message", Map.of("n", 1)));
    var ack = api.post(base + "/ack", Map.of("ids", List.of(id)));
    assertThat(ack.status()).as(ack.toString()).isEqualTo(200);
    assertThat(ack.json().path("acknowledged").asInt()).isEqualTo(1);
    assertThat(status(gw, id)).isEqualTo("delivered");
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void thePlainAckRecordsDeliveriesAndRefusals(StoreKind store) {
    TestGateway gw = gateways.get(store);
    try (PollingClient client = connect(gw, "plain")) {
      String ok = send(gw, client.agentId(), Map.of("channel", "commands", "message", Map.of("n", 1)));
      String refused = send(gw, client.agentId(), Map.of("channel", "commands", "message", Map.of("n", 2)));
      assertThat(client.poll(Duration.ZERO)).extracting(OpenedRecord::id).containsExactly(ok, refused);
      var r = client.api().post(client.messagesPath() + "/ack", Map.of("ids", List.of(ok),
          "rejected", Map.of(refused, "policy forbids it")));
      assertThat(r.status()).as(r.toString()).isEqualTo(200);
      assertThat(r.json().path("acknowledged").asInt()).isEqualTo(2);
      assertThat(status(gw, ok)).isEqualTo("delivered");
      assertThat(status(gw, refused)).isEqualTo("failed");
      // A reason outside the vocabulary is recorded as "other", with the agent's words kept.
      var view = gw.operator().get("/api/v1/messages/" + refused).json();
      assertThat(view.path("rejection_reason").asText()).isEqualTo("other");
      assertThat(view.path("error").asText()).contains("policy forbids it");
      assertThat(client.api().post(client.messagesPath() + "/ack", Map.of("ids", List.of())).status()).isEqualTo(400);
      assertThat(client.api().post(client.messagesPath() + "/ack", Map.of("ids", List.of("bad id!"))).status())
          .isEqualTo(400);
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void rejectionReasonsFromTheVocabularyAreTheirOwnFieldAndCounted(StoreKind store) {
    TestGateway gw = gateways.get(store);
    try (PollingClient client = connect(gw, "reasons")) {
      String id = send(gw, client.agentId(), Map.of("channel", "commands", "message", Map.of("n", 1)));
      assertThat(client.poll(Duration.ZERO)).extracting(OpenedRecord::id).containsExactly(id);
      double before = rejections(gw, "bad_signature");
      client.api().post(client.messagesPath() + "/ack", Map.of("ids", List.of(id), "rejected",
          Map.of(id, "bad_signature")));
      var view = gw.operator().get("/api/v1/messages/" + id).json();
      assertThat(view.path("status").asText()).isEqualTo("failed");
      assertThat(view.path("rejection_reason").asText()).isEqualTo("bad_signature");
      assertThat(rejections(gw, "bad_signature")).isEqualTo(before + 1);
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void anAckCountsOnlyWhatItActuallyAcknowledged(StoreKind store) {
    TestGateway gw = gateways.get(store);
    try (PollingClient mine = connect(gw, "counts"); PollingClient theirs = connect(gw, "counts-other")) {
      String other = send(gw, theirs.agentId(), Map.of("channel", "commands", "message", Map.of("n", 1)));
      var r = mine.api().post(mine.messagesPath() + "/ack", Map.of("ids", List.of(other)));
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.json().path("acknowledged").asInt()).as("another agent's message").isZero();
      assertThat(status(gw, other)).isIn("pending", "sent");
      var refused = mine.api().post(mine.messagesPath() + "/ack", Map.of("ids", List.of(), "rejected",
          Map.of(other, "bad_signature")));
      assertThat(refused.json().path("acknowledged").asInt()).isZero();
      assertThat(status(gw, other)).isIn("pending", "sent");
    }
  }

  private static double rejections(TestGateway gw, String reason) {
    var m = java.util.regex.Pattern.compile("(?m)^aegis_rejections_total\\{[^}]*reason=\"" + reason + "\"[^}]*} (\\S+)")
        .matcher(gw.anonymous().get("/metrics").body());
    return m.find() ? Double.parseDouble(m.group(1)) : -1;
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aReplayedPostIsRefusedAndProcessedOnce(StoreKind store) {
    TestGateway gw = gateways.get(store);
    TestAgent agent = TestAgent.register(gw, Gateways.unique("replay"));
    try (PollingClient client = PollingClient.connect(gw, agent.agentId(), agent.key())) {
      AgentPost post = client.newPost();
      PollingClient.seal(post, () -> post.seal(CommandSigner.agent(agent.key()).agentMessage("ev-1", "event",
          "events", utf8(EVENTS)), Map.of()));
      List<OpenedRecord> answer = client.post(post);
      assertThat(answer).singleElement().satisfies(a -> assertThat(a.type()).isEqualTo("ack"));
      var again = client.send(post);
      assertThat(again.status()).isEqualTo(409);
      assertThat(again.errorCode()).isEqualTo("nonce_reused");
      assertThat(events(gw, client.agentId())).isEqualTo(1);
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aTamperedRecordRefusesTheWholePostAndNothingIsProcessed(StoreKind store) throws Exception {
    TestGateway gw = gateways.get(store);
    TestAgent agent = TestAgent.register(gw, Gateways.unique("tamper"));
    try (PollingClient client = PollingClient.connect(gw, agent.agentId(), agent.key())) {
      AgentPost post = client.newPost();
      CommandSigner signer = CommandSigner.agent(agent.key());
      PollingClient.seal(post, () -> post.seal(signer.agentMessage("ev-1", "event", "events", utf8(EVENTS)), Map.of()));
      PollingClient.seal(post, () -> post.seal(signer.agentMessage("ev-2", "event", "events", utf8(EVENTS)), Map.of()));
      RecordBatch batch = WireJson.decodeRecordBatch(utf8(post.body()), "nonce", 32, 10, 1 << 20);
      SecureMessage second = batch.records().get(1);
      SecureMessage recast = new SecureMessage(second.id(), second.type(), second.channel(), second.payload(),
          second.timestamp() + 1, second.nonce(), "", second.headers());
      String tampered = WireJson.encode("nonce", new RecordBatch(batch.nonce(), List.of(batch.records().get(0), recast)));
      var r = client.api().post(client.messagesPath(), tampered);
      assertThat(r.status()).as(r.toString()).isEqualTo(400);
      assertThat(r.errorCode()).isEqualTo("invalid_records");
      assertThat(events(gw, agent.agentId())).isZero();
      // The refused post did not use up its nonce: the genuine one goes through.
      assertThat(client.post(post)).hasSize(2);
      assertThat(events(gw, agent.agentId())).isEqualTo(2);

      assertThat(client.api().post(client.messagesPath(), "{\"nonce\":1}").errorCode()).isEqualTo("invalid_records");
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aBadAgentSignatureRefusesThePostAndAnUnsignedEventGetsAnError(StoreKind store) throws Exception {
    TestGateway gw = gateways.get(store);
    try (PollingClient client = connect(gw, "sig")) {
      AgentPost forged = client.newPost();
      PollingClient.seal(forged, () -> forged.seal(CommandSigner.agent(IdentityKeyPair.generate(RANDOM))
          .agentMessage("ev-1", "event", "events", utf8(EVENTS)), Map.of()));
      var r = client.send(forged);
      assertThat(r.status()).isEqualTo(400);
      assertThat(r.errorCode()).isEqualTo("bad_signature");

      AgentPost unsigned = client.newPost();
      PollingClient.seal(unsigned, () -> unsigned.seal("ev-2", "event", "events", Map.of(), utf8(EVENTS)));
      List<OpenedRecord> answer = client.post(unsigned);
      assertThat(answer).singleElement().satisfies(e -> {
        assertThat(e.type()).isEqualTo("error");
        assertThat(e.headers()).containsEntry("in-reply-to", "ev-2");
        assertThat(JSON.readTree(e.body()).path("code").asText()).isEqualTo("signature_required");
      });
      assertThat(events(gw, client.agentId())).isZero();
    }
  }

  @Test
  void recordsOfAPostAreRoutedInOrderAsInASession() throws Exception {
    TestGateway gw = gateways.get(StoreKind.SQLITE);
    TestAgent agent = TestAgent.register(gw, Gateways.unique("route"));
    String channel = "alerts-" + Gateways.unique("c").toLowerCase();
    try (PollingClient client = PollingClient.connect(gw, agent.agentId(), agent.key())) {
      AgentPost post = client.newPost();
      CommandSigner signer = CommandSigner.agent(agent.key());
      PollingClient.seal(post, () -> post.seal("s-1", "subscribe", "control", Map.of(),
          utf8("{\"channels\":[\"" + channel + "\"]}")));
      PollingClient.seal(post, () -> post.seal(signer.agentMessage("q-1", "request", "policy", utf8("{}")), Map.of()));
      PollingClient.seal(post, () -> post.seal(signer.agentMessage("q-2", "request", "nowhere", utf8("{}")), Map.of()));
      List<OpenedRecord> answer = client.post(post);
      assertThat(answer).extracting(OpenedRecord::type).containsExactly("ack", "response", "error");
      assertThat(JSON.readTree(answer.get(0).body()).path("ids").get(0).asText()).isEqualTo("s-1");
      assertThat(answer.get(1).headers()).containsEntry("in-reply-to", "q-1");
      assertThat(JSON.readTree(answer.get(1).body()).path("agent_id").asText()).isEqualTo(agent.agentId());
      assertThat(JSON.readTree(answer.get(2).body()).path("code").asText()).isEqualTo("unknown_channel");
      // A poll makes the agent count as connected: the subscribers' broadcast is sent to it.
      assertThat(client.poll(Duration.ZERO)).isEmpty();
      var r = gw.operator().post("/api/v1/agents/broadcast", Map.of("channel", channel, "message", Map.of("a", 1),
          "message_type", "event", "target", Map.of("subscribers", true)));
      assertThat(r.json().path("sent_to")).hasSize(1);
      assertThat(client.poll(Waits.EVENT)).singleElement()
          .satisfies(rec -> assertThat(rec.channel()).isEqualTo(channel));
    }
  }

  @Test
  void aPollNeedsAFreshClientNonceAndAValidWaitAndMax() {
    TestGateway gw = gateways.get(StoreKind.SQLITE);
    try (PollingClient client = connect(gw, "nonce")) {
      String path = client.messagesPath() + "/poll";
      assertThat(client.api().get(path).errorCode()).isEqualTo("invalid_request");
      assertThat(client.api().get(path, Map.of(HttpExchange.CLIENT_NONCE_HEADER, "AAAA")).errorCode())
          .isEqualTo("invalid_request");
      AgentPoll poll = client.session().newPoll(RANDOM);
      assertThat(client.api().get(path + "?wait=soon", client.pollHeaders(poll)).errorCode()).isEqualTo("invalid_request");
      assertThat(client.api().get(path + "?max=0", client.pollHeaders(poll)).errorCode()).isEqualTo("invalid_request");
      var empty = client.api().get(path, client.pollHeaders(poll));
      assertThat(empty.status()).isEqualTo(200);
      assertThat(PollingClient.open(poll, empty)).isEmpty();
      assertThat(empty.json().path("records").isArray()).isTrue();
    }
  }

  @Test
  void aTokenOfAnotherAgentOrNoTokenIsRefused() {
    TestGateway gw = gateways.get(StoreKind.SQLITE);
    try (PollingClient alice = connect(gw, "alice"); PollingClient bob = connect(gw, "bob")) {
      AgentPoll poll = alice.session().newPoll(RANDOM);
      var r = bob.api().get(alice.pollPath(Duration.ZERO, 10), alice.pollHeaders(poll));
      assertThat(r.status()).isEqualTo(403);
      AgentPost post = alice.newPost();
      PollingClient.seal(post, () -> post.seal("a-1", "ack", "control", Map.of(), utf8("{\"ids\":[]}")));
      assertThat(bob.api().post(alice.messagesPath(), post.body()).status()).isEqualTo(403);
      assertThat(bob.api().post(alice.messagesPath() + "/ack", Map.of("ids", List.of("x"))).status()).isEqualTo(403);
      assertThat(gw.anonymous().get(alice.pollPath(Duration.ZERO, 10), alice.pollHeaders(poll)).status()).isEqualTo(401);
      assertThat(gw.operator().get(alice.pollPath(Duration.ZERO, 10), alice.pollHeaders(poll)).status()).isEqualTo(403);
    }
  }

  @Test
  void tooManyRecordsAreRefusedAs413() {
    TestGateway gw = gateways.get(StoreKind.SQLITE);
    try (PollingClient client = connect(gw, "big")) {
      AgentPost post = client.newPost();
      PollingClient.seal(post, () -> post.seal("a-1", "ack", "control", Map.of(), utf8("{\"ids\":[]}")));
      String body = post.body();
      String record = body.substring(body.indexOf("[") + 1, body.lastIndexOf("]"));
      List<String> many = new ArrayList<>();
      for (int i = 0; i <= HttpExchange.MAX_RECORDS; i++) {
        many.add(record);
      }
      String tooMany = body.substring(0, body.indexOf("[") + 1) + String.join(",", many) + "]}";
      var r = client.api().post(client.messagesPath(), tooMany);
      assertThat(r.status()).as(r.toString()).isEqualTo(413);
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aLongPollWakesWhenAMessageIsSentAndANewPollEndsAWaitingOne(StoreKind store) throws Exception {
    TestGateway gw = gateways.get(store);
    try (PollingClient client = connect(gw, "wake")) {
      // A poll that would wait a minute; its answer within Waits.EVENT shows that the send woke it.
      AgentPoll waiting = client.session().newPoll(RANDOM);
      CompletableFuture<ApiClient.Response> answer = client.api().sendAsync("GET",
          client.pollPath(Duration.ofSeconds(60), 10), null, client.pollHeaders(waiting));
      // Most likely waiting by now; if not, it finds the message at once and all below holds too.
      Thread.sleep(300);
      String id = send(gw, client.agentId(), Map.of("channel", "commands", "message", Map.of("n", 1)));
      var r = answer.get(Waits.EVENT.toSeconds(), TimeUnit.SECONDS);
      assertThat(PollingClient.open(waiting, r)).extracting(OpenedRecord::id).containsExactly(id);
      client.ack(id);
      await().atMost(Waits.EVENT).until(() -> status(gw, id).equals("delivered"));

      AgentPoll first = client.session().newPoll(RANDOM);
      CompletableFuture<ApiClient.Response> superseded = client.api().sendAsync("GET",
          client.pollPath(Duration.ofSeconds(60), 10), null, client.pollHeaders(first));
      // Each new poll ends the one waiting; until the first has arrived, the first may be the one
      // that ends a new one instead, so poll again until the first has been ended.
      await().atMost(Waits.EVENT).until(() -> {
        assertThat(client.poll(Duration.ofMillis(200))).isEmpty();
        return superseded.isDone();
      });
      var ended = superseded.get(Waits.EVENT.toSeconds(), TimeUnit.SECONDS);
      assertThat(ended.status()).isEqualTo(200);
      assertThat(PollingClient.open(first, ended)).isEmpty();
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void anAnswerHoldsAtMostMaxRecordsInDeliveryOrder(StoreKind store) {
    TestGateway gw = gateways.get(store);
    try (PollingClient client = connect(gw, "max")) {
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        ids.add(send(gw, client.agentId(), Map.of("channel", "commands", "message", Map.of("n", i))));
      }
      AgentPoll poll = client.session().newPoll(RANDOM);
      var r = client.api().get(client.pollPath(Duration.ZERO, 3), client.pollHeaders(poll));
      assertThat(PollingClient.open(poll, r)).extracting(OpenedRecord::id).containsExactlyElementsOf(ids.subList(0, 3));
      // The rest are still due; the first three are in flight until acknowledged or timed out.
      assertThat(client.poll(Duration.ZERO)).extracting(OpenedRecord::id).containsExactlyElementsOf(ids.subList(3, 5));
      JsonNode view = gw.operator().get("/api/v1/messages/" + ids.get(0)).json();
      assertThat(view.path("status").asText()).isEqualTo("sent");
      assertThat(view.path("attempts").asInt()).isEqualTo(1);
    }
  }
}
