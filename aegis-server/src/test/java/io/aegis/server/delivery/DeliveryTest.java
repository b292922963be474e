package io.aegis.server.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.aegis.protocol.record.CommandVerifier;
import io.aegis.protocol.record.OpenedRecord;
import io.aegis.protocol.record.VerificationResult;
import io.aegis.server.testing.AgentConnection;
import io.aegis.server.testing.ApiClient;
import io.aegis.server.testing.Gateways;
import io.aegis.server.testing.StoreKind;
import io.aegis.server.testing.TestAgent;
import io.aegis.server.testing.TestGateway;
import io.aegis.server.testing.Transport;
import io.aegis.server.testing.Waits;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Reliable delivery, on both stores and over every transport: the same scenarios through a
 * WebSocket session and through HTTP polling.
 */
class DeliveryTest {
  // An ack timeout long enough that a test acknowledging late on a busy machine rarely sees a
  // redelivery (and its message never fails: 5 s doubling, 3 retries), short enough that an HTTP
  // poller's unacknowledged messages come again soon after it reconnects.
  static final Gateways gateways = new Gateways(Map.of(
      "AEGIS_ACK_TIMEOUT", "5s",
      "AEGIS_DELIVERY_SWEEP_INTERVAL", "300ms"));
  // For the redelivery test only: retries come quickly.
  static final Gateways retrying = new Gateways(Map.of(
      "AEGIS_ACK_TIMEOUT", "300ms",
      "MESSAGE_RETRY_ATTEMPTS", "2"));

  @AfterAll
  static void stop() {
    gateways.close();
    retrying.close();
  }

  static Stream<Arguments> storesAndTransports() {
    return Stream.of(StoreKind.values()).flatMap(store -> Stream.of(Transport.values()).map(t -> Arguments.of(store, t)));
  }

  static ApiClient.Response send(TestGateway gw, String agentId, Map<String, Object> body) {
    return gw.operator().post("/api/v1/agents/" + agentId + "/send", body);
  }

  static String status(TestGateway gw, String messageId) {
    return gw.operator().get("/api/v1/messages/" + messageId).json().path("status").asText();
  }

  /**
   * The ids of the next {@code n} distinct messages, in the order they first arrived. Delivery is
   * at least once: a message the test has not acknowledged yet may come again (its ack timeout
   * passed on a busy machine), which is not a second message.
   */
  static List<String> firstArrivals(AgentConnection s, int n) {
    java.util.LinkedHashSet<String> seen = new java.util.LinkedHashSet<>();
    while (seen.size() < n) {
      seen.add(s.nextNonAck().id());
    }
    return new ArrayList<>(seen);
  }

  @ParameterizedTest
  @MethodSource("storesAndTransports")
  void aMessageToAConnectedAgentArrivesSignedAndIsDeliveredOnAck(StoreKind store, Transport transport) {
    TestGateway gw = gateways.get(store);
    TestAgent agent = TestAgent.register(gw, Gateways.unique("online"));
    CommandVerifier verifier = agent.verifier();
    try (AgentConnection s = transport.connect(agent)) {
      var r = send(gw, agent.agentId(), Map.of("channel", "commands", "message", Map.of("action", "scan"),
          "message_type", "request"));
      assertThat(r.status()).isEqualTo(202);
      assertThat(r.json().path("status").asText()).isEqualTo("sent");
      String id = r.json().path("message_id").asText();

      OpenedRecord rec = s.nextNonAck();
      assertThat(rec.id()).isEqualTo(id);
      assertThat(rec.type()).isEqualTo("request");
      assertThat(rec.channel()).isEqualTo("commands");
      assertThat(rec.bodyText()).isEqualTo("{\"action\":\"scan\"}");
      assertThat(verifier.verify(rec)).isEqualTo(VerificationResult.ACCEPTED);

      s.ack(id);
      await().atMost(Waits.EVENT).until(() -> status(gw, id).equals("delivered"));
      var view = gw.operator().get("/api/v1/messages/" + id).json();
      assertThat(view.path("attempts").asInt()).isEqualTo(1);
      assertThat(view.path("delivered_at").isMissingNode()).isFalse();
    }
  }

  @ParameterizedTest
  @MethodSource("storesAndTransports")
  void aMessageToAnOfflineAgentIsQueuedAndDeliveredWhenItConnects(StoreKind store, Transport transport) {
    TestGateway gw = gateways.get(store);
    TestAgent agent = TestAgent.register(gw, Gateways.unique("offline"));
    var r = send(gw, agent.agentId(), Map.of("channel", "commands", "message", Map.of("n", 1)));
    assertThat(r.json().path("status").asText()).isEqualTo("queued");
    String id = r.json().path("message_id").asText();
    assertThat(status(gw, id)).isEqualTo("pending");
    try (AgentConnection s = transport.connect(agent)) {
      OpenedRecord rec = s.nextNonAck();
      assertThat(rec.id()).isEqualTo(id);
      s.ack(id);
      await().atMost(Waits.EVENT).until(() -> status(gw, id).equals("delivered"));
    }
  }

  @ParameterizedTest
  @MethodSource("storesAndTransports")
  void anUnacknowledgedMessageIsRedeliveredUpToTheLimitThenFails(StoreKind store, Transport transport) {
    TestGateway gw = retrying.get(store);
    TestAgent agent = TestAgent.register(gw, Gateways.unique("noack"));
    try (AgentConnection s = transport.connect(agent)) {
      String id = send(gw, agent.agentId(), Map.of("channel", "commands", "message", Map.of("n", 1)))
          .json().path("message_id").asText();
      // MESSAGE_RETRY_ATTEMPTS=2: the first transmission and two redeliveries.
      for (int i = 0; i < 3; i++) {
        assertThat(s.nextNonAck().id()).isEqualTo(id);
      }
      await().atMost(Waits.EVENT).until(() -> status(gw, id).equals("failed"));
      s.expectNothing(Duration.ofMillis(500));
      var view = gw.operator().get("/api/v1/messages/" + id).json();
      assertThat(view.path("attempts").asInt()).isEqualTo(3);
      assertThat(view.path("error").asText()).contains("attempts used up");
    }
  }

  @ParameterizedTest
  @MethodSource("storesAndTransports")
  void anExpiredMessageIsNeverDelivered(StoreKind store, Transport transport) throws Exception {
    TestGateway gw = gateways.get(store);
    TestAgent agent = TestAgent.register(gw, Gateways.unique("expire"));
    String id = send(gw, agent.agentId(), Map.of("channel", "commands", "message", Map.of("n", 1), "ttl", "500ms"))
        .json().path("message_id").asText();
    await().atMost(Waits.EVENT).until(() -> status(gw, id).equals("expired"));
    try (AgentConnection s = transport.connect(agent)) {
      s.expectNothing(Waits.QUIET);
    }
    assertThat(status(gw, id)).isEqualTo("expired");
  }

  @ParameterizedTest
  @MethodSource("storesAndTransports")
  void orderHoldsAcrossReconnectsAndAcknowledgedMessagesAreNotResent(StoreKind store, Transport transport) {
    TestGateway gw = gateways.get(store);
    TestAgent agent = TestAgent.register(gw, Gateways.unique("order"));
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      ids.add(send(gw, agent.agentId(), Map.of("channel", "commands", "message", Map.of("n", i)))
          .json().path("message_id").asText());
    }
    try (AgentConnection s = transport.connect(agent)) {
      assertThat(firstArrivals(s, 10)).containsExactlyElementsOf(ids);
      s.ack(ids.subList(0, 5).toArray(String[]::new));
      await().atMost(Waits.EVENT).until(() -> status(gw, ids.get(4)).equals("delivered"));
    }
    try (AgentConnection s = transport.connect(agent)) {
      assertThat(firstArrivals(s, 5)).as("redelivered").containsExactlyElementsOf(ids.subList(5, 10));
      s.ack(ids.subList(5, 10).toArray(String[]::new));
      await().atMost(Waits.EVENT).until(() -> status(gw, ids.get(9)).equals("delivered"));
    }
  }

  @ParameterizedTest
  @MethodSource("storesAndTransports")
  void controlMessagesOvertakeBulkOnes(StoreKind store, Transport transport) {
    TestGateway gw = gateways.get(store);
    TestAgent agent = TestAgent.register(gw, Gateways.unique("prio"));
    for (int i = 0; i < 3; i++) {
      send(gw, agent.agentId(), Map.of("channel", "telemetry", "message", Map.of("n", i), "priority", "bulk"));
    }
    String control = send(gw, agent.agentId(), Map.of("channel", "commands", "message", Map.of("stop", true),
        "priority", "control")).json().path("message_id").asText();
    try (AgentConnection s = transport.connect(agent)) {
      assertThat(s.nextNonAck().id()).isEqualTo(control);
    }
  }

  @ParameterizedTest
  @MethodSource("storesAndTransports")
  void aBroadcastReachesEveryConnectedAgentUnderOneSignature(StoreKind store, Transport transport) {
    TestGateway gw = gateways.get(store);
    String label = Gateways.unique("fleet");
    List<TestAgent> agents = new ArrayList<>();
    List<AgentConnection> sessions = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      TestAgent a = TestAgent.register(gw, Gateways.unique("bc"), Map.of("fleet", label));
      agents.add(a);
      sessions.add(transport.connect(a));
    }
    TestAgent offline = TestAgent.register(gw, Gateways.unique("bcoff"), Map.of("fleet", label));
    try {
      var r = gw.operator().post("/api/v1/agents/broadcast", Map.of("channel", "announcements",
          "message", Map.of("hello", "all"), "message_type", "event", "target", Map.of("labels", Map.of("fleet", label))));
      assertThat(r.status()).isEqualTo(202);
      String id = r.json().path("message_id").asText();
      assertThat(r.json().path("sent_to")).hasSize(5);
      assertThat(r.json().path("failed").get(0).asText()).isEqualTo(offline.agentId());
      byte[] firstSignature = null;
      for (int i = 0; i < 5; i++) {
        OpenedRecord rec = sessions.get(i).nextNonAck();
        assertThat(rec.id()).isEqualTo(id);
        assertThat(agents.get(i).verifier().verify(rec)).isEqualTo(VerificationResult.ACCEPTED);
        if (firstSignature == null) {
          firstSignature = rec.signed().signature();
        } else {
          assertThat(rec.signed().signature()).isEqualTo(firstSignature);
        }
        sessions.get(i).ack(id);
      }
      await().atMost(Waits.EVENT).until(() ->
          gw.operator().get("/api/v1/messages/" + id).json().path("recipients").path("delivered").asInt() == 5);
    } finally {
      sessions.forEach(AgentConnection::close);
    }
  }

  @ParameterizedTest
  @MethodSource("storesAndTransports")
  void aRequestCanWaitForTheAgentsResponse(StoreKind store, Transport transport) throws Exception {
    TestGateway gw = gateways.get(store);
    TestAgent agent = TestAgent.register(gw, Gateways.unique("rr"));
    try (AgentConnection s = transport.connect(agent)) {
      var answer = java.util.concurrent.CompletableFuture.supplyAsync(() -> send(gw, agent.agentId(),
          Map.of("channel", "commands", "message", Map.of("q", "uptime"), "wait", "30s")));
      OpenedRecord rec = s.nextNonAck();
      s.sendSigned("resp-" + rec.id(), "response", "commands", Map.of("in-reply-to", rec.id()), "{\"uptime\":42}");
      var r = answer.get(Waits.EVENT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.json().path("status").asText()).isEqualTo("delivered");
      assertThat(r.json().path("response").path("uptime").asInt()).isEqualTo(42);
      assertThat(gw.operator().get("/api/v1/messages/" + rec.id()).json().path("response").path("uptime").asInt())
          .isEqualTo(42);
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aRequestThatIsNotAnsweredTimesOut(StoreKind store) {
    TestGateway gw = gateways.get(store);
    TestAgent agent = TestAgent.register(gw, Gateways.unique("rrto"));
    var r = send(gw, agent.agentId(), Map.of("channel", "commands", "message", Map.of("q", 1), "wait", "300ms"));
    assertThat(r.status()).isEqualTo(202);
    assertThat(r.json().path("timed_out").asBoolean()).isTrue();
    assertThat(r.json().path("status").asText()).isEqualTo("queued");
  }

  @ParameterizedTest
  @MethodSource("storesAndTransports")
  void aCancelledMessageIsNotDelivered(StoreKind store, Transport transport) {
    TestGateway gw = gateways.get(store);
    TestAgent agent = TestAgent.register(gw, Gateways.unique("cancel"));
    String id = send(gw, agent.agentId(), Map.of("channel", "commands", "message", Map.of("n", 1)))
        .json().path("message_id").asText();
    var r = gw.operator().delete("/api/v1/messages/" + id);
    assertThat(r.status()).isEqualTo(200);
    assertThat(status(gw, id)).isEqualTo("cancelled");
    assertThat(gw.operator().delete("/api/v1/messages/" + id).errorCode()).isEqualTo("not_cancellable");
    try (AgentConnection s = transport.connect(agent)) {
      s.expectNothing(Duration.ofMillis(700));
    }
  }

  @org.junit.jupiter.api.Test
  void aBroadcastToMalformedAgentIdsIsRefused() {
    TestGateway gw = gateways.get(StoreKind.SQLITE);
    for (String bad : new String[] {"has space", "../etc", "x".repeat(300), "nul\u0000"}) {
      var r = gw.operator().post("/api/v1/agents/broadcast", Map.of("channel", "news", "message", Map.of("v", 1),
          "target", Map.of("agent_ids", java.util.List.of(bad))));
      assertThat(r.status()).as(bad).isEqualTo(400);
      assertThat(r.json().path("error").path("message").asText()).contains("target.agent_ids");
    }
  }
}
