package io.aegis.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.aegis.protocol.record.OpenedRecord;
import io.aegis.server.testing.AgentSocket;
import io.aegis.server.testing.Gateways;
import io.aegis.server.testing.StoreKind;
import io.aegis.server.testing.TestAgent;
import io.aegis.server.testing.TestGateway;
import io.aegis.server.testing.Waits;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The record layer through real sockets, after a real handshake: the gateway opens exactly the
 * agent's next record and closes the session with 4006 on anything else.
 *
 * <p>Acceptance is observed through the protocol itself: an unsigned {@code event} is answered
 * with an {@code error} record naming it (this gateway requires agent signatures), and a
 * {@code key_update} that asks for the gateway's is answered only if every record before it
 * opened.
 */
class RecordLayerSocketTest {
  static final Gateways gateways = new Gateways(Map.of("AEGIS_AGENT_SIGNATURES", "required"));
  static final ObjectMapper JSON = new ObjectMapper();
  static final Map<String, String> HEADERS = Map.of("priority", "high", "trace-id", "4bf92f3577b34da6");

  @AfterAll
  static void stop() {
    gateways.close();
  }

  static TestGateway gw() {
    return gateways.get(StoreKind.SQLITE);
  }

  static TestAgent.Session connect(String prefix) {
    return TestAgent.register(gw(), Gateways.unique(prefix)).connect();
  }

  static String event(TestAgent.Session s, String id) {
    return s.seal(id, "event", "events/alerts", HEADERS, "{\"severity\":\"high\",\"rule\":\"R-17\"}");
  }

  @Test
  void anUntamperedRecordIsOpenedAndAnswered() {
    try (TestAgent.Session s = connect("intact")) {
      s.socket().sendText(event(s, "evt-0001"));
      List<OpenedRecord> answers = s.keyUpdateRoundTrip();
      assertThat(answers).hasSize(1);
      assertThat(answers.get(0).type()).isEqualTo("error");
      assertThat(answers.get(0).headers()).containsEntry("in-reply-to", "evt-0001");
      assertThat(answers.get(0).bodyText()).contains("signature_required");
      assertThat(s.socket().isClosed()).isFalse();
    }
  }

  /** One bit flipped (or one header added or removed) in each authenticated part of a record. */
  static Stream<Arguments> tamperings() {
    return Stream.of(
        Arguments.of("id", edit(m -> m.put("id", "evt-0000"))),
        Arguments.of("type", edit(m -> m.put("type", "evenu"))),
        Arguments.of("channel", edit(m -> m.put("channel", "events/alertr"))),
        Arguments.of("timestamp", edit(m -> m.put("timestamp", m.get("timestamp").asLong() ^ 1))),
        Arguments.of("nonce", edit(m -> m.put("nonce", flip(m.get("nonce").asText(), 11)))),
        Arguments.of("header key", edit(m -> {
          ((ObjectNode) m.get("headers")).remove("priority");
          ((ObjectNode) m.get("headers")).put("prioritx", "high");
        })),
        Arguments.of("header value", edit(m -> ((ObjectNode) m.get("headers")).put("priority", "higi"))),
        Arguments.of("second header value", edit(m -> ((ObjectNode) m.get("headers")).put("trace-id", "4bf92f3577b34da7"))),
        Arguments.of("header added", edit(m -> ((ObjectNode) m.get("headers")).put("x-extra", "1"))),
        Arguments.of("header removed", edit(m -> ((ObjectNode) m.get("headers")).remove("trace-id"))),
        Arguments.of("ciphertext", edit(m -> m.put("payload", flip(m.get("payload").asText(), 0)))),
        Arguments.of("tag", edit(m -> m.put("payload", flip(m.get("payload").asText(), -1)))),
        Arguments.of("signature field", edit(m -> m.put("signature", "AA=="))));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("tamperings")
  void aRecordWithATamperedFieldClosesTheSession(String what, java.util.function.UnaryOperator<String> tamper) {
    try (TestAgent.Session s = connect("tamper")) {
      String frame = event(s, "evt-0001");
      String tampered = tamper.apply(frame);
      assertThat(tampered).isNotEqualTo(frame);
      s.socket().sendText(tampered);
      assertProtocolViolation(s.socket());
    }
  }

  @Test
  void aReplayedRecordClosesTheSession() {
    try (TestAgent.Session s = connect("replay")) {
      String frame = event(s, "evt-0001");
      s.socket().sendText(frame);
      assertThat(s.keyUpdateRoundTrip()).hasSize(1);
      s.socket().sendText(frame);
      assertProtocolViolation(s.socket());
    }
  }

  @Test
  void reorderedRecordsCloseTheSession() {
    try (TestAgent.Session s = connect("reorder")) {
      String first = event(s, "evt-0001");
      String second = event(s, "evt-0002");
      s.socket().sendText(second);
      // The gateway may have closed on the first frame it could not open before this one is
      // written: the close is the outcome either way.
      s.socket().sendTextUnlessClosed(first);
      assertProtocolViolation(s.socket());
    }
  }

  @Test
  void aDroppedRecordClosesTheSession() throws Exception {
    try (TestAgent.Session s = connect("drop")) {
      String r0 = event(s, "evt-0001");
      event(s, "evt-0002"); // sealed (sequence number 1 taken) but never sent
      String r2 = event(s, "evt-0003");
      s.socket().sendText(r0);
      s.socket().sendText(r2);
      assertThat(s.channel().open(s.socket().nextText()).headers()).containsEntry("in-reply-to", "evt-0001");
      assertProtocolViolation(s.socket());
    }
  }

  @Test
  void theGatewaysOwnSessionRecordEchoedBackClosesTheSession() {
    try (TestAgent.Session s = connect("reflect")) {
      s.socket().sendText(s.handshakeFrames().get(3));
      assertProtocolViolation(s.socket());
    }
  }

  @Test
  void aGatewayRecordEchoedBackAtTheRightPositionClosesTheSession() throws Exception {
    try (TestAgent.Session s = connect("reflect2")) {
      s.socket().sendText(event(s, "evt-0001"));
      String errorRecord = s.socket().nextText(); // the gateway's s→c record #1
      s.channel().open(errorRecord);
      // The agent's next record is c→s #1: reflect the gateway's #1 in its place.
      s.socket().sendText(errorRecord);
      assertProtocolViolation(s.socket());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"not json", "{}", "[]", "null", "{\"id\":\"x\"", "{\"type\":\"client_hello\",\"version\":1}"})
  void garbageAfterAuthenticationClosesTheSession(String garbage) {
    try (TestAgent.Session s = connect("garbage")) {
      s.socket().sendText(garbage);
      assertProtocolViolation(s.socket());
    }
  }

  @Test
  void aBinaryFrameAfterAuthenticationClosesTheSession() {
    try (TestAgent.Session s = connect("binary")) {
      s.socket().sendBinary(new byte[] {'{', '}'});
      assertProtocolViolation(s.socket());
    }
  }

  @Test
  void aValidRecordWithTrailingBytesClosesTheSession() {
    try (TestAgent.Session s = connect("trailing")) {
      s.socket().sendText(event(s, "evt-0001") + " {}");
      assertProtocolViolation(s.socket());
    }
  }

  @Test
  void metricsCountSessionsHandshakesAndCloses() {
    TestAgent agent = TestAgent.register(gw(), Gateways.unique("metrics"));
    try (TestAgent.Session first = agent.connect(); TestAgent.Session second = agent.connect()) {
      assertThat(first.socket().awaitClose().code()).isEqualTo(4004);
      try (TestAgent.Session broken = connect("metrics-broken")) {
        broken.socket().sendText("garbage");
        assertProtocolViolation(broken.socket());
      }
      // The client sees each close as the gateway sends it; the counters follow on the gateway's side.
      Awaitility.await().atMost(Waits.EVENT).untilAsserted(() -> assertThat(gw().anonymous().get("/metrics").body())
          .containsPattern(sample("aegis_sessions_closed_total", "code=\"4004\""))
          .containsPattern(sample("aegis_sessions_closed_total", "code=\"4006\"")));
      String metrics = gw().anonymous().get("/metrics").body();
      assertThat(metrics).containsPattern(sample("aegis_sessions_open", ""));
      assertThat(metrics).containsPattern(sample("aegis_handshakes_seconds_count", "outcome=\"ok\""));
      assertThat(metrics).containsPattern(sample("aegis_sessions_closed_total", "code=\"4004\""));
      assertThat(metrics).containsPattern(sample("aegis_sessions_closed_total", "code=\"4006\""));
      assertThat(metrics).containsPattern(sample("aegis_session_records_total", "direction=\"in\""));
      assertThat(metrics).containsPattern(sample("aegis_handshakes_by_backend_key_total",
          "key_id=\"" + agent.backendKey().keyIdHex() + "\""));
    }
  }

  // ------------------------------------------------------------------ helpers

  /** A Prometheus sample line of {@code name} carrying {@code label} (labels come sorted) with a value ≥ 1. */
  static String sample(String name, String label) {
    return "(?m)^" + name + "\\{[^}]*" + java.util.regex.Pattern.quote(label) + "[^}]*} [1-9]";
  }

  static void assertProtocolViolation(AgentSocket socket) {
    AgentSocket.Closed closed = socket.awaitClose();
    assertThat(closed.code()).isEqualTo(4006);
    assertThat(closed.reason()).isEqualTo("protocol violation");
  }

  static java.util.function.UnaryOperator<String> edit(Consumer<ObjectNode> change) {
    return frame -> {
      try {
        ObjectNode m = (ObjectNode) JSON.readTree(frame);
        change.accept(m);
        return JSON.writeValueAsString(m);
      } catch (java.io.IOException e) {
        throw new AssertionError(e);
      }
    };
  }

  /** Flips the lowest bit of byte {@code index} (negative: from the end) of a base64 value. */
  static String flip(String base64, int index) {
    byte[] b = Base64.getDecoder().decode(base64);
    int i = index < 0 ? b.length + index : index;
    b[i] ^= 1;
    return Base64.getEncoder().encodeToString(b);
  }
}
