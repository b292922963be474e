package io.aegis.server.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.aegis.server.testing.Gateways;
import io.aegis.server.testing.StoreKind;
import io.aegis.server.testing.TestAgent;
import io.aegis.server.testing.TestGateway;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** {@code POST /api/v1/messages}: many sends in one request, answered per item, a bad item failing alone. */
class BatchSendTest {

  private static Map<String, Object> item(String agentId, Object message, String key) {
    Map<String, Object> m = new HashMap<>(Map.of("agent_id", agentId, "channel", "commands", "message", message));
    if (key != null) {
      m.put("idempotency_key", key);
    }
    return m;
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void eachItemIsAnsweredInOrderAndABadItemFailsAlone(StoreKind store) throws Exception {
    try (TestGateway gw = TestGateway.start(store)) {
      TestAgent online = TestAgent.register(gw, Gateways.unique("batch-on"));
      TestAgent offline = TestAgent.register(gw, Gateways.unique("batch-off"));
      try (TestAgent.Session s = online.connect()) {
        var r = gw.operator().post("/api/v1/messages", Map.of("messages", List.of(
            item(online.agentId(), Map.of("n", 1), null),
            item("nobody-" + Gateways.unique("x"), Map.of("n", 2), null),
            Map.of("agent_id", offline.agentId(), "channel", "bad channel!", "message", Map.of("n", 3)),
            item(offline.agentId(), Map.of("n", 4), "k-4"),
            Map.of("agent_id", online.agentId(), "channel", "commands", "message", Map.of("n", 5), "surprise", 1))));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode results = r.json().path("results");
        assertThat(results).hasSize(5);
        assertThat(results.get(0).path("status").asText()).isEqualTo("sent");
        assertThat(results.get(1).path("error").path("code").asText()).isEqualTo("not_found");
        assertThat(results.get(2).path("error").path("code").asText()).isEqualTo("invalid_request");
        assertThat(results.get(3).path("status").asText()).isEqualTo("queued");
        assertThat(results.get(4).path("error").path("code").asText()).isEqualTo("unknown_field");

        String first = results.get(0).path("message_id").asText();
        assertThat(s.nextNonAck().id()).isEqualTo(first);
        s.ack(first);
        assertThat(count(gw, online.agentId())).isEqualTo(1);
        assertThat(count(gw, offline.agentId())).isEqualTo(1);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aBatchRetriedWithItemKeysCreatesNothingNew(StoreKind store) {
    try (TestGateway gw = TestGateway.start(store)) {
      TestAgent agent = TestAgent.register(gw, Gateways.unique("batch"));
      List<Map<String, Object>> items = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        items.add(item(agent.agentId(), Map.of("n", i), "job-" + i));
      }
      var first = gw.operator().post("/api/v1/messages", Map.of("messages", items));
      var again = gw.operator().post("/api/v1/messages", Map.of("messages", items));
      assertThat(again.status()).isEqualTo(200);
      for (int i = 0; i < 50; i++) {
        assertThat(again.json().path("results").get(i).path("message_id").asText())
            .isEqualTo(first.json().path("results").get(i).path("message_id").asText());
        assertThat(again.json().path("results").get(i).path("replayed").asBoolean()).isTrue();
      }
      assertThat(count(gw, agent.agentId())).isEqualTo(50);
      // A key reused for another item is refused for that item alone.
      var reused = gw.operator().post("/api/v1/messages", Map.of("messages", List.of(
          item(agent.agentId(), Map.of("n", "other"), "job-0"), item(agent.agentId(), Map.of("n", 99), null))));
      assertThat(reused.json().path("results").get(0).path("error").path("code").asText())
          .isEqualTo("idempotency_key_reused");
      assertThat(reused.json().path("results").get(1).path("status").asText()).isEqualTo("queued");
      assertThat(count(gw, agent.agentId())).isEqualTo(51);
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aKeyGivenTwiceInOneBatchCreatesOneMessageAndAnExpiredKeyIsTakenAgain(StoreKind store) {
    try (TestGateway gw = TestGateway.start(store, Map.of("AEGIS_IDEMPOTENCY_WINDOW", "1s"))) {
      TestAgent agent = TestAgent.register(gw, Gateways.unique("batch"));
      var r = gw.operator().post("/api/v1/messages", Map.of("messages", List.of(
          item(agent.agentId(), Map.of("n", 1), "twice"), item(agent.agentId(), Map.of("n", 1), "twice"),
          item(agent.agentId(), Map.of("n", 2), "twice"))));
      JsonNode results = r.json().path("results");
      assertThat(results.get(1).path("message_id").asText()).isEqualTo(results.get(0).path("message_id").asText());
      assertThat(results.get(0).has("replayed")).isFalse();
      assertThat(results.get(1).path("replayed").asBoolean()).isTrue();
      assertThat(results.get(2).path("error").path("code").asText()).isEqualTo("idempotency_key_reused");
      assertThat(count(gw, agent.agentId())).isEqualTo(1);

      // Past AEGIS_IDEMPOTENCY_WINDOW the key is free again: the same item is a new message.
      org.awaitility.Awaitility.await().atMost(io.aegis.server.testing.Waits.EVENT).until(() -> {
        var later = gw.operator().post("/api/v1/messages", Map.of("messages", List.of(
            item(agent.agentId(), Map.of("n", 1), "twice"))));
        return !later.json().path("results").get(0).path("replayed").asBoolean();
      });
      assertThat(count(gw, agent.agentId())).isEqualTo(2);
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aMalformedBatchIsRefusedWhole(StoreKind store) {
    try (TestGateway gw = TestGateway.start(store)) {
      TestAgent agent = TestAgent.register(gw, Gateways.unique("batch"));
      List<Map<String, Object>> tooMany = new ArrayList<>();
      for (int i = 0; i < 1001; i++) {
        tooMany.add(item(agent.agentId(), i, null));
      }
      assertThat(gw.operator().post("/api/v1/messages", Map.of("messages", tooMany)).status()).isEqualTo(413);
      assertThat(gw.operator().post("/api/v1/messages", Map.of("messages", List.of())).status()).isEqualTo(400);
      var unknown = gw.operator().post("/api/v1/messages", Map.of("messages", List.of(item(agent.agentId(), 1, null)),
          "extra", true));
      assertThat(unknown.json().path("error").path("code").asText()).isEqualTo("unknown_field");
      assertThat(gw.anonymous().post("/api/v1/messages", Map.of("messages", List.of(item(agent.agentId(), 1, null))))
          .status()).isEqualTo(401);
      assertThat(count(gw, agent.agentId())).isZero();
    }
  }

  private static int count(TestGateway gw, String agentId) {
    return gw.operator().get("/api/v1/agents/" + agentId + "/messages?limit=500").json().path("messages").size();
  }
}
