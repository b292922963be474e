package io.aegis.server.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.aegis.protocol.HttpAuth;
import io.aegis.protocol.IdentityKeyPair;
import io.aegis.protocol.KeyRotation;
import io.aegis.server.testing.AgentSocket;
import io.aegis.server.testing.ApiClient;
import io.aegis.server.testing.Gateways;
import io.aegis.server.testing.StoreKind;
import io.aegis.server.testing.TestAgent;
import io.aegis.server.testing.TestGateway;
import io.aegis.server.testing.Waits;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** {@code POST /api/v1/agents/{agent_id}/rotate-key}: an agent proves both keys and swaps its identity key. */
class AgentKeyRotationTest {
  static final Gateways gateways = new Gateways();
  static final SecureRandom RANDOM = new SecureRandom();

  @AfterAll
  static void stop() {
    gateways.close();
  }

  static TestGateway gw() {
    return gateways.get(StoreKind.SQLITE);
  }

  static String b64(byte[] b) {
    return Base64.getEncoder().encodeToString(b);
  }

  static Map<String, Object> body(String agentId, IdentityKeyPair oldKey, IdentityKeyPair newKey, long ts) {
    KeyRotation.Signatures s = KeyRotation.sign(agentId, oldKey, newKey, ts);
    return body(newKey, ts, s.oldKeySignature(), s.newKeySignature());
  }

  static Map<String, Object> body(IdentityKeyPair newKey, long ts, byte[] sigOld, byte[] sigNew) {
    return Map.of("new_public_key", newKey.publicKey().base64(), "timestamp", ts,
        "signature_old", b64(sigOld), "signature_new", b64(sigNew));
  }

  static String path(TestAgent agent) {
    return "/api/v1/agents/" + agent.agentId() + "/rotate-key";
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void anAgentRotatesItsKeyAndMustHandshakeAgainWithTheNewOne(StoreKind store) {
    TestGateway gw = gateways.get(store);
    TestAgent agent = TestAgent.register(gw, Gateways.unique("rotate"));
    IdentityKeyPair newKey = IdentityKeyPair.generate(RANDOM);
    try (TestAgent.Session live = agent.connect()) {
      ApiClient.Response r = gw.withToken(live.sessionToken())
          .post(path(agent), body(agent.agentId(), agent.key(), newKey, System.currentTimeMillis()));
      assertThat(r.status()).as(r.toString()).isEqualTo(200);
      assertThat(r.json().path("public_key").asText()).isEqualTo(newKey.publicKey().base64());
      assertThat(r.json().path("key_rotated_at").isTextual()).isTrue();

      // The live session, authenticated with the old key, is told to handshake again; its token is revoked.
      assertThat(live.socket().awaitClose(Waits.EVENT).code()).isEqualTo(4002);
      assertThat(gw.withToken(live.sessionToken()).get("/api/v1/agents/" + agent.agentId()).status()).isEqualTo(401);
    }
    // The old key is refused at the upgrade, the new one accepted.
    AgentSocket.Refused refused = catchThrowableOfType(AgentSocket.Refused.class, agent::socket);
    assertThat(refused).isNotNull();
    assertThat(refused.status()).isEqualTo(401);
    TestAgent renewed = new TestAgent(gw, agent.agentId(), newKey);
    try (TestAgent.Session s = renewed.connect()) {
      assertThat(gw.withToken(s.sessionToken()).get("/api/v1/agents/" + agent.agentId()).json()
          .path("public_key").asText()).isEqualTo(newKey.publicKey().base64());
    }
  }

  @Test
  void aBadOldSignatureIsRefusedAndNothingChanges() {
    TestAgent agent = TestAgent.register(gw(), Gateways.unique("badold"));
    IdentityKeyPair newKey = IdentityKeyPair.generate(RANDOM);
    IdentityKeyPair thief = IdentityKeyPair.generate(RANDOM);
    long ts = System.currentTimeMillis();
    byte[] input = KeyRotation.canonical(agent.agentId(), agent.key().publicKey(), newKey.publicKey(), ts);
    try (TestAgent.Session live = agent.connect()) {
      ApiClient.Response r = gw().withToken(live.sessionToken())
          .post(path(agent), body(newKey, ts, thief.sign(input), newKey.sign(input)));
      assertThat(r.status()).isEqualTo(400);
      assertThat(r.errorCode()).isEqualTo("invalid_signature");
      assertThat(r.json().path("error").path("message").asText()).contains("signature_old");
      assertUnchanged(agent, live);
    }
  }

  @Test
  void aBadNewSignatureIsRefusedAndNothingChanges() {
    TestAgent agent = TestAgent.register(gw(), Gateways.unique("badnew"));
    IdentityKeyPair newKey = IdentityKeyPair.generate(RANDOM);
    long ts = System.currentTimeMillis();
    byte[] input = KeyRotation.canonical(agent.agentId(), agent.key().publicKey(), newKey.publicKey(), ts);
    try (TestAgent.Session live = agent.connect()) {
      // The old key signs twice: possession of the new key is not proven.
      ApiClient.Response r = gw().withToken(live.sessionToken())
          .post(path(agent), body(newKey, ts, agent.key().sign(input), agent.key().sign(input)));
      assertThat(r.status()).isEqualTo(400);
      assertThat(r.errorCode()).isEqualTo("invalid_signature");
      assertThat(r.json().path("error").path("message").asText()).contains("signature_new");
      assertUnchanged(agent, live);
    }
  }

  @Test
  void theCurrentKeyCannotBeRotatedToItself() {
    TestAgent agent = TestAgent.register(gw(), Gateways.unique("samekey"));
    try (TestAgent.Session live = agent.connect()) {
      ApiClient.Response r = gw().withToken(live.sessionToken())
          .post(path(agent), body(agent.agentId(), agent.key(), agent.key(), System.currentTimeMillis()));
      assertThat(r.status()).isEqualTo(400);
      assertThat(r.errorCode()).isEqualTo("same_key");
      assertUnchanged(agent, live);
    }
  }

  @Test
  void theNewKeyMustPassTheRegistrationChecks() {
    TestAgent agent = TestAgent.register(gw(), Gateways.unique("weakkey"));
    try (TestAgent.Session live = agent.connect()) {
      Map<String, Object> b = new HashMap<>(body(agent.agentId(), agent.key(), IdentityKeyPair.generate(RANDOM),
          System.currentTimeMillis()));
      b.put("new_public_key", b64(new byte[32])); // a point of small order
      ApiClient.Response r = gw().withToken(live.sessionToken()).post(path(agent), b);
      assertThat(r.status()).isEqualTo(400);
      assertThat(r.errorCode()).isEqualTo("invalid_public_key");
      assertUnchanged(agent, live);
    }
  }

  @Test
  void aTimestampOutsideTheClockSkewIsRefused() {
    TestAgent agent = TestAgent.register(gw(), Gateways.unique("stale"));
    try (TestAgent.Session live = agent.connect()) {
      ApiClient.Response r = gw().withToken(live.sessionToken()).post(path(agent),
          body(agent.agentId(), agent.key(), IdentityKeyPair.generate(RANDOM), System.currentTimeMillis() - 3_600_000));
      assertThat(r.status()).isEqualTo(400);
      assertThat(r.errorCode()).isEqualTo("stale_timestamp");
      assertUnchanged(agent, live);
    }
  }

  @Test
  void aReplayedRotationFailsBecauseTheOldKeyIsNoLongerRegistered() {
    TestAgent agent = TestAgent.register(gw(), Gateways.unique("replay"));
    IdentityKeyPair newKey = IdentityKeyPair.generate(RANDOM);
    Map<String, Object> rotation = body(agent.agentId(), agent.key(), newKey, System.currentTimeMillis());
    String token;
    try (TestAgent.Session live = agent.connect()) {
      token = live.sessionToken();
      assertThat(gw().withToken(token).post(path(agent), rotation).status()).isEqualTo(200);
    }
    // The token it was sent with is revoked by the rotation.
    assertThat(gw().withToken(token).post(path(agent), rotation).status()).isEqualTo(401);
    // Even with a fresh session (authenticated with the new key) the same body does not apply again.
    String fresh = httpAuth(agent.agentId(), newKey);
    ApiClient.Response replay = gw().withToken(fresh).post(path(agent), rotation);
    assertThat(replay.status()).isEqualTo(400);
    assertThat(replay.errorCode()).isEqualTo("invalid_signature");
    assertThat(gw().operator().get("/api/v1/agents/" + agent.agentId()).json().path("public_key").asText())
        .isEqualTo(newKey.publicKey().base64());
  }

  @Test
  void onlyTheAgentItselfMayRotateItsKey() {
    TestAgent agent = TestAgent.register(gw(), Gateways.unique("self"));
    TestAgent other = TestAgent.register(gw(), Gateways.unique("other"));
    Map<String, Object> rotation = body(agent.agentId(), agent.key(), IdentityKeyPair.generate(RANDOM),
        System.currentTimeMillis());
    assertThat(gw().operator().post(path(agent), rotation).status()).isEqualTo(403);
    try (TestAgent.Session s = other.connect()) {
      assertThat(gw().withToken(s.sessionToken()).post(path(agent), rotation).status()).isEqualTo(403);
    }
    assertThat(gw().anonymous().post(path(agent), rotation).status()).isEqualTo(401);
  }

  // ------------------------------------------------------------------ helpers

  private static void assertUnchanged(TestAgent agent, TestAgent.Session live) {
    assertThat(gw().operator().get("/api/v1/agents/" + agent.agentId()).json().path("public_key").asText())
        .isEqualTo(agent.key().publicKey().base64());
    assertThat(gw().withToken(live.sessionToken()).get("/api/v1/agents/" + agent.agentId()).status()).isEqualTo(200);
    live.keyUpdateRoundTrip();
    assertThat(live.socket().isClosed()).isFalse();
  }

  /** A session token from {@code POST /api/v1/auth}, signed with {@code key}. */
  private static String httpAuth(String agentId, IdentityKeyPair key) {
    long ts = System.currentTimeMillis();
    String nonce = String.format("%016x%016x", RANDOM.nextLong(), RANDOM.nextLong());
    ApiClient.Response r = gw().anonymous().post("/api/v1/auth", Map.of("agent_id", agentId,
        "public_key", key.publicKey().base64(), "timestamp", ts, "nonce", nonce,
        "signature", b64(HttpAuth.sign(key, agentId, ts, nonce))));
    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    return r.json().path("session_token").asText();
  }
}
