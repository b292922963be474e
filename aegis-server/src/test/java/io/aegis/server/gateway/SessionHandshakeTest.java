package io.aegis.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aegis.protocol.IdentityKeyPair;
import io.aegis.protocol.handshake.ClientHandshake;
import io.aegis.server.testing.AgentSocket;
import io.aegis.server.testing.Gateways;
import io.aegis.server.testing.StoreKind;
import io.aegis.server.testing.TestAgent;
import io.aegis.server.testing.TestGateway;
import io.aegis.server.testing.Waits;
import java.security.SecureRandom;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The upgrade and the handshake, through real sockets. */
class SessionHandshakeTest {
  // Short enough for the silent-client test to be quick, long enough that a handshake on a busy
  // machine (or one held up by a REST call in between, as below) never times out.
  static final Gateways gateways = new Gateways(Map.of("AEGIS_HANDSHAKE_TIMEOUT", "5s"));

  @AfterAll
  static void stop() {
    gateways.close();
  }

  static TestGateway gw() {
    return gateways.get(StoreKind.SQLITE);
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void agentCompletesTheHandshakeAndIsConnected(StoreKind store) {
    TestGateway gw = gateways.get(store);
    TestAgent agent = TestAgent.register(gw, Gateways.unique("hs"));
    try (TestAgent.Session s = agent.connect()) {
      assertThat(s.sessionToken()).startsWith("aegis_st_");
      var status = gw.operator().get("/api/v1/agents/" + agent.agentId() + "/status");
      assertThat(status.status()).isEqualTo(200);
      assertThat(status.json().path("connected").asBoolean()).isTrue();
      assertThat(status.json().path("node_id").asText()).isEqualTo("test-node");
      assertThat(status.json().path("session_id").asText()).isEqualTo(s.channel().sessionIdHex());
      assertThat(status.json().path("protocol_version").asInt()).isEqualTo(1);
      // The session token from the handshake works on the REST API as the agent.
      assertThat(gw.withToken(s.sessionToken()).get("/api/v1/agents/" + agent.agentId()).status()).isEqualTo(200);
    }
  }

  @Test
  void unknownInactiveAndMismatchedAgentsGetTheSameAnswerBeforeTheUpgrade() {
    TestAgent known = TestAgent.register(gw(), Gateways.unique("known"));
    TestAgent inactive = TestAgent.register(gw(), Gateways.unique("inactive"));
    gw().operator().post("/api/v1/agents/" + inactive.agentId() + "/deactivate", Map.of());
    IdentityKeyPair other = IdentityKeyPair.generate(new SecureRandom());
    var unknownHeaders = Map.of("X-Agent-ID", "nobody-" + Gateways.unique("x"), "X-Agent-Public-Key", other.publicKey().base64());
    var mismatchHeaders = Map.of("X-Agent-ID", known.agentId(), "X-Agent-Public-Key", other.publicKey().base64());

    AgentSocket.Refused unknown = refused(unknownHeaders);
    AgentSocket.Refused deactivated = refused(inactive.headers());
    AgentSocket.Refused mismatch = refused(mismatchHeaders);
    assertThat(unknown.status()).isEqualTo(401);
    assertThat(deactivated.status()).isEqualTo(401);
    assertThat(mismatch.status()).isEqualTo(401);
    assertThat(deactivated.body()).isEqualTo(unknown.body());
    assertThat(mismatch.body()).isEqualTo(unknown.body());
  }

  @Test
  void missingHeadersAreABadRequest() {
    AgentSocket.Refused r = refused(Map.of("X-Agent-ID", "a1"));
    assertThat(r.status()).isEqualTo(400);
  }

  @Test
  void aSignatureByAnotherKeyFailsTheHandshake() {
    TestAgent agent = TestAgent.register(gw(), Gateways.unique("wrongkey"));
    IdentityKeyPair impostor = IdentityKeyPair.generate(new SecureRandom());
    try (AgentSocket socket = agent.socket()) {
      // The hello names the registered key, but the transcript is signed with another key.
      ClientHandshake hs = agent.newHandshake(impostor);
      socket.sendText(hs.clientHello());
      String m2 = socket.nextText();
      assertThat(m2).contains("authentication failed"); // public_key in M1 is the impostor's: refused at M1
      assertThat(socket.awaitClose().code()).isEqualTo(4001);
    }
  }

  @Test
  void garbageBeforeTheHandshakeIsAnAuthenticationFailure() {
    TestAgent agent = TestAgent.register(gw(), Gateways.unique("garbage"));
    try (AgentSocket socket = agent.socket()) {
      socket.sendText("{\"hello\": true}");
      assertThat(socket.nextText()).isEqualTo("{\"success\":false,\"message\":\"authentication failed\"}");
      assertThat(socket.awaitClose().code()).isEqualTo(4001);
    }
  }

  @Test
  void binaryFramesAreAProtocolViolation() {
    TestAgent agent = TestAgent.register(gw(), Gateways.unique("binary"));
    try (AgentSocket socket = agent.socket()) {
      socket.sendBinary(new byte[] {1, 2, 3});
      assertThat(socket.awaitClose().code()).isEqualTo(4006);
    }
  }

  @Test
  void aSilentClientIsClosedAtTheHandshakeTimeout() {
    TestAgent agent = TestAgent.register(gw(), Gateways.unique("silent"));
    try (AgentSocket socket = agent.socket()) {
      assertThat(socket.awaitClose().code()).isEqualTo(4007);
    }
  }

  @Test
  void aNewSessionReplacesTheOldOne() {
    TestAgent agent = TestAgent.register(gw(), Gateways.unique("replace"));
    try (TestAgent.Session first = agent.connect(); TestAgent.Session second = agent.connect()) {
      assertThat(first.socket().awaitClose().code()).isEqualTo(4004);
      assertThat(second.socket().isClosed()).isFalse();
      var status = gw().operator().get("/api/v1/agents/" + agent.agentId() + "/status");
      assertThat(status.json().path("session_id").asText()).isEqualTo(second.channel().sessionIdHex());
    }
  }

  @Test
  void deactivationClosesTheLiveSessionAsRevoked() {
    TestAgent agent = TestAgent.register(gw(), Gateways.unique("revoke"));
    try (TestAgent.Session s = agent.connect()) {
      assertThat(gw().operator().post("/api/v1/agents/" + agent.agentId() + "/deactivate", Map.of()).status())
          .isEqualTo(200);
      // Once the deactivation is committed (the answer above), the session ends (at once: the
      // registry's listener closes it; how fast is for bin/aegis bench, not for a test).
      assertThat(s.socket().awaitClose().code()).isEqualTo(4003);
      assertThat(gw().withToken(s.sessionToken()).get("/api/v1/agents/" + agent.agentId()).status()).isEqualTo(401);
    }
  }

  @Test
  void anAgentDeactivatedDuringItsHandshakeIsClosedAsTheSessionOpens() throws Exception {
    TestAgent agent = TestAgent.register(gw(), Gateways.unique("revoke-mid"));
    try (AgentSocket socket = agent.socket()) { // the upgrade looked the agent up: active
      ClientHandshake hs = agent.newHandshake();
      socket.sendText(hs.clientHello());
      String m3 = hs.onServerHello(socket.nextText());
      gw().operator().post("/api/v1/agents/" + agent.agentId() + "/deactivate", Map.of());
      socket.sendText(m3); // a valid M3 from a key that was registered when the handshake began
      assertThat(socket.awaitClose().code()).isEqualTo(4003);
      assertThat(socket.pending()).as("no session record was sent").isZero();
    }
    assertThat(gw().server().gateway().connections().isConnected(agent.agentId())).isFalse();
    // Its connections row, written while the handshake completed, is marked disconnected again.
    org.awaitility.Awaitility.await().atMost(Waits.EVENT).until(() ->
        !gw().operator().get("/api/v1/agents/" + agent.agentId() + "/status").json().path("connected").asBoolean());
  }

  private static AgentSocket.Refused refused(Map<String, String> headers) {
    var thrown = org.assertj.core.api.Assertions.catchThrowableOfType(AgentSocket.Refused.class,
        () -> AgentSocket.connect(gw().baseUrl(), "/ws/agent", headers));
    assertThat(thrown).as("the upgrade should have been refused").isNotNull();
    return thrown;
  }
}
