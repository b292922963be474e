package io.aegis.server.polling;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.aegis.protocol.IdentityKeyPair;
import io.aegis.protocol.IdentityPublicKey;
import io.aegis.protocol.KeyFiles;
import io.aegis.protocol.KeyRotation;
import io.aegis.protocol.PinnedBackendKeys;
import io.aegis.protocol.Protocol;
import io.aegis.protocol.crypto.StrictBase64;
import io.aegis.protocol.http.AgentPost;
import io.aegis.protocol.http.HttpSession;
import io.aegis.protocol.http.HttpSessionKeys;
import io.aegis.protocol.record.CommandVerifier;
import io.aegis.protocol.record.OpenedRecord;
import io.aegis.protocol.record.VerificationResult;
import io.aegis.server.auth.AgentSessions;
import io.aegis.server.auth.RecordKeyVault;
import io.aegis.server.auth.Tokens;
import io.aegis.server.testing.AgentIdentity;
import io.aegis.server.testing.ApiClient;
import io.aegis.server.testing.Gateways;
import io.aegis.server.testing.PollingClient;
import io.aegis.server.testing.StoreKind;
import io.aegis.server.testing.TestAgent;
import io.aegis.server.testing.TestGateway;
import io.aegis.server.testing.Waits;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.PreparedStatement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * How an HTTP session begins and ends (docs/PROTOCOL.md §17.1, §17.3): the backend key it asks
 * for, the next key's announcement in its first poll answer, its replacement by a newer HTTP
 * session of the agent, and the answers a token gets once it is no longer live. The gateway holds
 * a next backend key and caps polls at three seconds.
 */
class HttpSessionLifecycleTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final SecureRandom RANDOM = new SecureRandom();
  static final IdentityKeyPair NEXT = IdentityKeyPair.generate(RANDOM);
  static Path secrets;
  static Gateways gateways;

  @BeforeAll
  static void start() throws Exception {
    secrets = Files.createTempDirectory("aegis-next-key-");
    Path next = secrets.resolve("next.pem");
    KeyFiles.writePrivateKey(next, NEXT, false);
    gateways = new Gateways(Map.of("AUTH_NEXT_PRIVATE_KEY_PATH", next.toString(), "AEGIS_AUTH_RATE_LIMIT", "0"));
  }

  @AfterAll
  static void stop() throws Exception {
    gateways.close();
    Files.deleteIfExists(secrets.resolve("next.pem"));
    Files.deleteIfExists(secrets);
  }

  static TestAgent agent(TestGateway gw, String prefix) {
    return TestAgent.register(gw, Gateways.unique(prefix));
  }

  static String send(TestGateway gw, String agentId, int n) {
    var r = gw.operator().post("/api/v1/agents/" + agentId + "/send", Map.of("channel", "commands",
        "message", Map.of("n", n)));
    assertThat(r.status()).as(r.toString()).isIn(200, 202);
    return r.json().path("message_id").asText();
  }

  static String status(TestGateway gw, String messageId) {
    return gw.operator().get("/api/v1/messages/" + messageId).json().path("status").asText();
  }

  /** Polls once so that the session's announcement is out of the way. */
  static PollingClient announced(PollingClient client) {
    assertThat(client.poll(Duration.ZERO)).extracting(OpenedRecord::type).containsExactly("backend_key");
    return client;
  }

  static void assertRefused(ApiClient.Response r, int status, String code) {
    assertThat(r.status()).as(r.toString()).isEqualTo(status);
    assertThat(r.errorCode()).isEqualTo(code);
  }

  // ------------------------------------------------------------------ backend key announcement

  @Test
  void theFirstPollAnswerOfEachSessionAnnouncesTheNextKey() throws Exception {
    TestGateway gw = gateways.get(StoreKind.SQLITE);
    TestAgent agent = agent(gw, "announce");
    IdentityPublicKey current = gw.server().identity().publicKey();
    try (PollingClient client = PollingClient.connect(agent)) {
      // The announcement does not end a waiting poll early: it rides on the answer at the deadline.
      long start = System.nanoTime();
      List<OpenedRecord> first = client.poll(Duration.ofMillis(600));
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(500));
      assertThat(first).singleElement().satisfies(r -> {
        assertThat(r.type()).isEqualTo("backend_key");
        assertThat(r.channel()).isEqualTo(Protocol.CONTROL_CHANNEL);
        JsonNode body = JSON.readTree(r.bodyText());
        assertThat(body.path("key_id").asText()).isEqualTo(NEXT.publicKey().keyIdHex());
        assertThat(IdentityPublicKey.parseBase64(body.path("public_key").asText())).isEqualTo(NEXT.publicKey());
        assertThat(r.signed().audience()).isEqualTo("*");
        assertThat(new CommandVerifier(agent.agentId(), PinnedBackendKeys.of(current), Clock.systemUTC(), 10).verify(r))
            .isEqualTo(VerificationResult.ACCEPTED);
      });
      // Once per session and node: later answers carry only messages.
      assertThat(client.poll(Duration.ZERO)).isEmpty();
      String id = send(gw, agent.agentId(), 1);
      assertThat(client.poll(Duration.ZERO)).extracting(OpenedRecord::id).containsExactly(id);
    }
    // A new session gets it again, first, and it does not count towards max.
    String pending = send(gw, agent.agentId(), 2);
    try (PollingClient again = PollingClient.connect(agent)) {
      var poll = again.session().newPoll(RANDOM);
      var r = again.api().get(again.pollPath(Duration.ZERO, 1), again.pollHeaders(poll));
      assertThat(PollingClient.open(poll, r)).extracting(OpenedRecord::type).containsExactly("backend_key", "request");
      assertThat(PollingClient.open(poll, r).get(1).id()).isEqualTo(pending);
    }
  }

  // ------------------------------------------------------------------ backend_key_id

  @Test
  void aSessionIsSignedWithTheBackendKeyItAsksForWhenTheGatewayHoldsIt() {
    TestGateway gw = gateways.get(StoreKind.SQLITE);
    TestAgent agent = agent(gw, "asks");
    IdentityPublicKey current = gw.server().identity().publicKey();
    IdentityPublicKey unknown = IdentityKeyPair.generate(RANDOM).publicKey();
    try (PollingClient adopted = PollingClient.connect(agent, PinnedBackendKeys.of(NEXT.publicKey(), current),
        NEXT.publicKey().keyId())) {
      assertThat(adopted.signedBy()).isEqualTo(NEXT.publicKey());
    }
    try (PollingClient notYet = PollingClient.connect(agent, PinnedBackendKeys.of(current, NEXT.publicKey()),
        current.keyId())) {
      assertThat(notYet.signedBy()).isEqualTo(current);
    }
    try (PollingClient confused = PollingClient.connect(agent, PinnedBackendKeys.of(unknown, current),
        unknown.keyId())) {
      assertThat(confused.signedBy()).isEqualTo(current);
    }
    try (PollingClient silent = PollingClient.connect(agent, PinnedBackendKeys.of(current), null)) {
      assertThat(silent.signedBy()).isEqualTo(current);
    }
    // Counted by the key asked for, as handshakes are: adoption among polling agents.
    String metrics = gw.anonymous().get("/metrics").body();
    for (String label : List.of(NEXT.publicKey().keyIdHex(), current.keyIdHex(), "other", "none")) {
      assertThat(metrics).containsPattern("aegis_http_sessions_by_backend_key_total\\{[^}]*key_id=\"" + label
          + "\"[^}]*\\} [1-9]");
    }
    assertThat(metrics).doesNotContain(unknown.keyIdHex());
  }

  @Test
  void theBackendKeyIdIsSignedAndChecked() {
    TestGateway gw = gateways.get(StoreKind.SQLITE);
    TestAgent agent = agent(gw, "keyid");
    IdentityPublicKey current = gw.server().identity().publicKey();
    var offer = HttpSessionKeys.offer(agent.key(), agent.agentId(), System.currentTimeMillis(), AgentIdentity.nonce(),
        NEXT.publicKey().keyId(), RANDOM);
    Map<String, Object> body = PollingClient.authBody(offer.request());
    // Whoever sees the request cannot change which key it asks for, nor drop the field.
    Map<String, Object> swapped = new HashMap<>(body);
    swapped.put("backend_key_id", current.keyIdHex());
    assertRefused(gw.anonymous().post("/api/v1/auth", swapped), 401, "authentication_failed");
    Map<String, Object> stripped = new HashMap<>(body);
    stripped.remove("backend_key_id");
    assertRefused(gw.anonymous().post("/api/v1/auth", stripped), 401, "authentication_failed");
    // Malformed: the client's bug, said as such.
    for (String bad : List.of("24F6ED6ACBFE1009", "24f6ed6acbfe10", "not-a-key-id-!!!")) {
      Map<String, Object> malformed = new HashMap<>(body);
      malformed.put("backend_key_id", bad);
      assertRefused(gw.anonymous().post("/api/v1/auth", malformed), 400, "invalid_request");
    }
    Map<String, Object> plain = new HashMap<>(new AgentIdentity(agent.agentId(), agent.key()).authRequest());
    plain.put("backend_key_id", current.keyIdHex());
    assertRefused(gw.anonymous().post("/api/v1/auth", plain), 400, "invalid_request");
    // The genuine request: signed with the key it asked for.
    var ok = gw.anonymous().post("/api/v1/auth", body);
    assertThat(ok.status()).as(ok.toString()).isEqualTo(200);
    assertThat(ok.json().path("backend_key_id").asText()).isEqualTo(NEXT.publicKey().keyIdHex());
  }

  // ------------------------------------------------------------------ wait

  @Test
  void aWaitBeyondTheMaximumIsCutToIt() {
    try (TestGateway gw = TestGateway.start(StoreKind.SQLITE, Map.of("AEGIS_MAX_POLL_WAIT", "1s"));
         PollingClient client = PollingClient.connect(agent(gw, "wait"))) {
      long start = System.nanoTime();
      // An hour asked for; the client gives up after 90 s, so an answer at all shows the cut.
      var r = client.pollRaw(Duration.ofHours(1));
      Duration took = Duration.ofNanos(System.nanoTime() - start);
      assertThat(r.status()).as(r.toString()).isEqualTo(200);
      assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(900));
    }
  }

  // ------------------------------------------------------------------ replaced

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aNewHttpSessionReplacesTheOlderOneButNoOtherToken(StoreKind store) throws Exception {
    TestGateway gw = gateways.get(store);
    TestAgent agent = agent(gw, "replace");
    String plainToken = gw.anonymous().post("/api/v1/auth", new AgentIdentity(agent.agentId(), agent.key())
        .authRequest()).json().path("session_token").asText();
    String self = "/api/v1/agents/" + agent.agentId();
    try (TestAgent.Session ws = agent.connect();
         PollingClient older = announced(PollingClient.connect(agent))) {
      CompletableFuture<PollingClient.Answered> waiting = older.pollAsync(Waits.EVENT);
      Thread.sleep(200); // most likely waiting by then; if not, it is refused the same way when it arrives
      try (PollingClient newer = PollingClient.connect(agent)) {
        // The waiting poll of the older session ends with its own answer (at its deadline it
        // would have been an empty 200).
        var ended = waiting.get(Waits.EVENT.toSeconds(), TimeUnit.SECONDS).response();
        assertRefused(ended, 409, "replaced");
        // Its token is revoked as replaced: polls, posts and any other endpoint say so.
        assertRefused(older.pollRaw(Duration.ZERO), 409, "replaced");
        AgentPost post = older.newPost();
        PollingClient.seal(post, () -> post.seal("a-1", "ack", "control", Map.of(), "{\"ids\":[]}".getBytes()));
        assertRefused(older.send(post), 409, "replaced");
        assertRefused(older.api().get(self), 409, "replaced");
        // The WebSocket session's token and a plain token are not HTTP sessions: they stay valid.
        assertThat(gw.withToken(ws.sessionToken()).get(self).status()).isEqualTo(200);
        assertThat(gw.withToken(plainToken).get(self).status()).isEqualTo(200);
        assertThat(newer.poll(Duration.ZERO)).extracting(OpenedRecord::type).containsExactly("backend_key");
      }
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aSessionReplacedElsewhereNeverCarriesMessages(StoreKind store) throws Exception {
    TestGateway gw = gateways.get(store);
    TestAgent agent = agent(gw, "elsewhere");
    try (PollingClient older = announced(PollingClient.connect(agent))) {
      CompletableFuture<PollingClient.Answered> waiting = older.pollAsync(Waits.EVENT);
      Thread.sleep(200); // most likely waiting by then; if not, it is refused the same way when it arrives
      // Another node issues a newer session: this node hears nothing of it.
      try (PollingClient newer = issueInStore(gw, agent)) {
        String id = send(gw, agent.agentId(), 1);
        // The token is looked at again before the answer would carry the message.
        assertRefused(waiting.get(Waits.EVENT.toSeconds(), TimeUnit.SECONDS).response(), 409, "replaced");
        assertThat(status(gw, id)).isEqualTo("pending");
        assertThat(newer.poll(Duration.ZERO)).extracting(OpenedRecord::type).containsExactly("backend_key", "request");
        assertThat(status(gw, id)).isEqualTo("sent");
      }
    }
  }

  @Test
  void aPollOfANewerSessionEndsTheOlderSessionsWaitingPoll() throws Exception {
    TestGateway gw = gateways.get(StoreKind.SQLITE);
    TestAgent agent = agent(gw, "supersede");
    try (PollingClient older = announced(PollingClient.connect(agent))) {
      CompletableFuture<PollingClient.Answered> waiting = older.pollAsync(Waits.EVENT);
      Thread.sleep(200); // most likely waiting by then; if not, it is refused the same way when it arrives
      try (PollingClient newer = issueInStore(gw, agent)) {
        CompletableFuture<PollingClient.Answered> newerPoll = newer.pollAsync(Duration.ofMillis(300));
        assertRefused(waiting.get(Waits.EVENT.toSeconds(), TimeUnit.SECONDS).response(), 409, "replaced");
        assertThat(newerPoll.get(Waits.EVENT.toSeconds(), TimeUnit.SECONDS).records()).extracting(OpenedRecord::type)
            .containsExactly("backend_key");
      }
    }
  }

  /** A newer HTTP session written straight to the store, as another node's POST /api/v1/auth does. */
  static PollingClient issueInStore(TestGateway gw, TestAgent agent) throws Exception {
    Thread.sleep(5); // a later creation time than the session it replaces
    byte[] secrets = new byte[HttpSession.EXPORT_LENGTH];
    RANDOM.nextBytes(secrets);
    RecordKeyVault vault = new RecordKeyVault(gw.server().identity().keyRing());
    AgentSessions.Issued issued = new AgentSessions(gw.server().database(), Duration.ofHours(1))
        .issue(agent.agentId(), hash -> vault.seal(secrets, hash));
    return PollingClient.of(agent, issued.token(), HttpSession.restore(secrets, Clock.systemUTC(),
        Protocol.DEFAULT_MAX_FRAME_BYTES));
  }

  // ------------------------------------------------------------------ revoked, expired

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aDeactivatedAgentsTokensAreRefusedAsRevoked(StoreKind store) throws Exception {
    TestGateway gw = gateways.get(store);
    TestAgent agent = agent(gw, "revoked");
    String self = "/api/v1/agents/" + agent.agentId();
    String plainToken = gw.anonymous().post("/api/v1/auth", new AgentIdentity(agent.agentId(), agent.key())
        .authRequest()).json().path("session_token").asText();
    try (PollingClient client = announced(PollingClient.connect(agent))) {
      CompletableFuture<PollingClient.Answered> waiting = client.pollAsync(Waits.EVENT);
      Thread.sleep(200); // most likely waiting by then; if not, it is refused the same way when it arrives
      assertThat(gw.operator().post(self + "/deactivate", null).status()).isEqualTo(200);
      var ended = waiting.get(Waits.EVENT.toSeconds(), TimeUnit.SECONDS).response();
      assertRefused(ended, 401, "token_revoked");
      assertThat(ended.header("WWW-Authenticate")).isEqualTo("Bearer");
      assertRefused(client.pollRaw(Duration.ZERO), 401, "token_revoked");
      AgentPost post = client.newPost();
      PollingClient.seal(post, () -> post.seal("a-1", "ack", "control", Map.of(), "{\"ids\":[]}".getBytes()));
      assertRefused(client.send(post), 401, "token_revoked");
      assertRefused(gw.withToken(plainToken).get(self), 401, "token_revoked");
      // They stay revoked after a reactivation; a new authentication works.
      assertThat(gw.operator().post(self + "/reactivate", null).status()).isEqualTo(200);
      assertRefused(gw.withToken(plainToken).get(self), 401, "token_revoked");
      try (PollingClient fresh = PollingClient.connect(agent)) {
        assertThat(fresh.poll(Duration.ZERO)).extracting(OpenedRecord::type).containsExactly("backend_key");
      }
    }
  }

  @Test
  void expiredUnknownAndRekeyedTokensAreOnlyUnauthorized() throws Exception {
    TestGateway gw = gateways.get(StoreKind.SQLITE);
    TestAgent agent = agent(gw, "unauth");
    String self = "/api/v1/agents/" + agent.agentId();
    assertRefused(gw.withToken("aegis_st_" + "A".repeat(43)).get(self), 401, "unauthorized");
    try (PollingClient client = PollingClient.connect(agent)) {
      gw.server().database().transaction(c -> {
        try (PreparedStatement ps = c.prepareStatement("UPDATE agent_sessions SET expires_at = ? WHERE token_hash = ?")) {
          gw.server().database().dialect().setInstant(ps, 1, Instant.now().minusSeconds(1));
          ps.setString(2, Tokens.hash(client.token()));
          ps.executeUpdate();
        }
        return null;
      });
      assertRefused(client.pollRaw(Duration.ZERO), 401, "unauthorized");
    }
    // The agent rotates its key: its tokens are revoked, but it only has to authenticate again.
    String token = gw.anonymous().post("/api/v1/auth", new AgentIdentity(agent.agentId(), agent.key())
        .authRequest()).json().path("session_token").asText();
    IdentityKeyPair newKey = IdentityKeyPair.generate(RANDOM);
    long now = System.currentTimeMillis();
    KeyRotation.Signatures s = KeyRotation.sign(agent.agentId(), agent.key(), newKey, now);
    var rotated = gw.withToken(token).post(self + "/rotate-key", Map.of("new_public_key", newKey.publicKey().base64(),
        "timestamp", now, "signature_old", StrictBase64.encode(s.oldKeySignature()),
        "signature_new", StrictBase64.encode(s.newKeySignature())));
    assertThat(rotated.status()).as(rotated.toString()).isEqualTo(200);
    assertRefused(gw.withToken(token).get(self), 401, "unauthorized");
  }
}
