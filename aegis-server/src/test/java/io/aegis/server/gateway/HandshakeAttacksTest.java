package io.aegis.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.aegis.protocol.IdentityKeyPair;
import io.aegis.protocol.Protocol;
import io.aegis.protocol.handshake.ClientHandshake;
import io.aegis.protocol.handshake.ServerHandshake;
import io.aegis.server.testing.AgentSocket;
import io.aegis.server.testing.Gateways;
import io.aegis.server.testing.StoreKind;
import io.aegis.server.testing.TestAgent;
import io.aegis.server.testing.TestGateway;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Attacks on the handshake through real sockets: every one ends with the one failure frame and
 * close 4001, byte for byte the same whatever the reason.
 */
class HandshakeAttacksTest {
  static final Gateways gateways = new Gateways();
  static final ObjectMapper JSON = new ObjectMapper();
  static final SecureRandom RANDOM = new SecureRandom();

  @AfterAll
  static void stop() {
    gateways.close();
  }

  static TestGateway gw() {
    return gateways.get(StoreKind.SQLITE);
  }

  @Test
  void aClientAuthReplayedFromAnotherSessionFails() {
    TestAgent agent = TestAgent.register(gw(), Gateways.unique("m3replay"));
    String oldM3;
    try (TestAgent.Session first = agent.connect()) {
      oldM3 = first.handshakeFrames().get(2);
    }
    try (AgentSocket socket = agent.socket()) {
      socket.sendText(agent.newHandshake().clientHello());
      assertThat(socket.nextText()).contains("\"type\":\"server_hello\"");
      socket.sendText(oldM3);
      assertFailed(socket);
    }
  }

  @Test
  void aWholeHandshakeReplayedFromAnotherSessionFails() {
    TestAgent agent = TestAgent.register(gw(), Gateways.unique("replay"));
    List<String> old;
    try (TestAgent.Session first = agent.connect()) {
      old = first.handshakeFrames();
    }
    try (AgentSocket socket = agent.socket()) {
      socket.sendText(old.get(0)); // the old client_hello is still within the clock skew: the gateway answers
      String m2 = socket.nextText();
      assertThat(m2).contains("\"type\":\"server_hello\"").isNotEqualTo(old.get(1)); // a fresh ephemeral and nonce
      socket.sendText(old.get(2));
      assertFailed(socket);
    }
  }

  /** The low-order X25519 values of PROTOCOL.md §4, and the same with the top bit set. */
  @ParameterizedTest
  @ValueSource(strings = {
      "0000000000000000000000000000000000000000000000000000000000000000",
      "0100000000000000000000000000000000000000000000000000000000000000",
      "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
      "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
      "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
      "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
      "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
      "0000000000000000000000000000000000000000000000000000000000000080",
      "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f11d7",
      "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"})
  void aSmallOrderEphemeralKeyInTheClientHelloFails(String lowOrderHex) {
    byte[] point = HexFormat.of().parseHex(lowOrderHex);
    assertThat(failureOfEditedHello("lowordr", h -> h.put("ephemeral_key", java.util.Base64.getEncoder().encodeToString(point))))
        .isEqualTo(ServerHandshake.FAILURE_FRAME);
  }

  @Test
  void anUnknownVersionFails() {
    assertThat(failureOfEditedHello("version", h -> h.put("version", 2))).isEqualTo(ServerHandshake.FAILURE_FRAME);
  }

  @Test
  void anUnknownSuiteFails() {
    assertThat(failureOfEditedHello("suite", h -> h.put("suite", "AEGIS1-X25519-ED25519-AES128GCM-SHA256")))
        .isEqualTo(ServerHandshake.FAILURE_FRAME);
  }

  @Test
  void aTimestampOutsideTheClockSkewFails() {
    assertThat(failureOfEditedHello("skew", h -> h.put("timestamp", System.currentTimeMillis() - 3_600_000)))
        .isEqualTo(ServerHandshake.FAILURE_FRAME);
  }

  @Test
  void aClientAuthSignedByAnotherKeyFails() {
    TestAgent agent = TestAgent.register(gw(), Gateways.unique("badsig"));
    assertThat(failureOfClientAuth(agent, IdentityKeyPair.generate(RANDOM), Protocol.CONTEXT_CLIENT_HANDSHAKE))
        .isEqualTo(ServerHandshake.FAILURE_FRAME);
  }

  @Test
  void aClientAuthSignedUnderTheServerContextFails() {
    TestAgent agent = TestAgent.register(gw(), Gateways.unique("ctx"));
    assertThat(failureOfClientAuth(agent, agent.key(), Protocol.CONTEXT_SERVER_HANDSHAKE))
        .isEqualTo(ServerHandshake.FAILURE_FRAME);
  }

  @Test
  void theRealClientAuthOfTheEvilClientSucceeds() throws Exception {
    // The control for the two tests above: with the right key and context the same code gets in.
    TestAgent agent = TestAgent.register(gw(), Gateways.unique("evilok"));
    EvilClient evil = new EvilClient(agent.agentId(), agent.key().publicKey(), agent.backendKey());
    try (AgentSocket socket = agent.socket()) {
      socket.sendText(evil.clientHello());
      socket.sendText(evil.clientAuth(socket.nextText(), agent.key(), Protocol.CONTEXT_CLIENT_HANDSHAKE, agent.backendKey()));
      assertThat(socket.nextText()).contains("\"type\":\"session\"");
    }
  }

  @Test
  void unknownRevokedMismatchedAndBadSignatureAgentsAreIndistinguishable() {
    TestAgent known = TestAgent.register(gw(), Gateways.unique("same"));
    TestAgent revoked = TestAgent.register(gw(), Gateways.unique("same-revoked"));
    gw().operator().post("/api/v1/agents/" + revoked.agentId() + "/deactivate", Map.of());
    IdentityKeyPair other = IdentityKeyPair.generate(RANDOM);

    // Before the upgrade: the same status and body for an unknown id, a revoked agent and a wrong key.
    List<AgentSocket.Refused> refusals = List.of(
        refused(Map.of("X-Agent-ID", Gateways.unique("nobody"), "X-Agent-Public-Key", other.publicKey().base64())),
        refused(revoked.headers()),
        refused(Map.of("X-Agent-ID", known.agentId(), "X-Agent-Public-Key", other.publicKey().base64())));
    for (AgentSocket.Refused r : refusals) {
      assertThat(r.status()).isEqualTo(401);
      assertThat(r.body()).isEqualTo(ServerHandshake.FAILURE_FRAME);
    }

    // After the upgrade: the same failure frame for a hello naming another agent, a hello with
    // another key, a bad transcript signature, and a hello that is not one.
    List<String> frames = new ArrayList<>();
    frames.add(failureOfEditedHello("same-id", h -> h.put("agent_id", Gateways.unique("nobody"))));
    frames.add(failureOfEditedHello("same-key", h -> h.put("public_key", other.publicKey().base64())));
    frames.add(failureOfClientAuth(known, other, Protocol.CONTEXT_CLIENT_HANDSHAKE));
    try (AgentSocket socket = known.socket()) {
      socket.sendText("{\"type\":\"client_hello\"}");
      frames.add(socket.nextText());
      assertThat(socket.awaitClose().code()).isEqualTo(4001);
    }
    assertThat(frames).containsOnly(ServerHandshake.FAILURE_FRAME);
  }

  @Test
  void aSecondClientHelloFails() {
    TestAgent agent = TestAgent.register(gw(), Gateways.unique("hello2"));
    try (AgentSocket socket = agent.socket()) {
      ClientHandshake hs = agent.newHandshake();
      String m1 = hs.clientHello();
      socket.sendText(m1);
      assertThat(socket.nextText()).contains("server_hello");
      socket.sendText(m1);
      assertFailed(socket);
    }
  }

  // ------------------------------------------------------------------ helpers

  /** Sends the agent's real client_hello after {@code edit}, and returns what the gateway answered (then closed with 4001). */
  private static String failureOfEditedHello(String prefix, Consumer<ObjectNode> edit) {
    TestAgent agent = TestAgent.register(gw(), Gateways.unique(prefix));
    try (AgentSocket socket = agent.socket()) {
      ObjectNode hello = parse(agent.newHandshake().clientHello());
      edit.accept(hello);
      socket.sendText(hello.toString());
      String answer = socket.nextText();
      assertThat(socket.awaitClose().code()).isEqualTo(4001);
      assertThat(socket.pending()).isZero();
      return answer;
    }
  }

  /** A real hello, then an M3 signed by {@code signer} under {@code context}; returns the gateway's answer. */
  private static String failureOfClientAuth(TestAgent agent, IdentityKeyPair signer, String context) {
    EvilClient evil = new EvilClient(agent.agentId(), agent.key().publicKey(), agent.backendKey());
    try (AgentSocket socket = agent.socket()) {
      socket.sendText(evil.clientHello());
      socket.sendText(evil.clientAuth(socket.nextText(), signer, context, agent.backendKey()));
      String answer = socket.nextText();
      assertThat(socket.awaitClose().code()).isEqualTo(4001);
      return answer;
    } catch (io.aegis.protocol.WireFormatException e) {
      throw new AssertionError(e);
    }
  }

  private static void assertFailed(AgentSocket socket) {
    assertThat(socket.nextText()).isEqualTo(ServerHandshake.FAILURE_FRAME);
    AgentSocket.Closed closed = socket.awaitClose();
    assertThat(closed.code()).isEqualTo(4001);
    assertThat(closed.reason()).isEqualTo("authentication failed");
  }

  private static AgentSocket.Refused refused(Map<String, String> headers) {
    AgentSocket.Refused thrown = org.assertj.core.api.Assertions.catchThrowableOfType(AgentSocket.Refused.class,
        () -> AgentSocket.connect(gw().baseUrl(), "/ws/agent", headers));
    assertThat(thrown).as("the upgrade should have been refused").isNotNull();
    return thrown;
  }

  private static ObjectNode parse(String json) {
    try {
      return (ObjectNode) JSON.readTree(json);
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
  }
}
