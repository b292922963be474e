package io.aegis.server.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.server.auth.OperatorTokens;
import io.aegis.server.testing.ApiClient;
import io.aegis.server.testing.Gateways;
import io.aegis.server.testing.StoreKind;
import io.aegis.server.testing.TestAgent;
import io.aegis.server.testing.TestGateway;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Idempotency-Key on sends and broadcasts: a retry gets the first answer and creates nothing. */
class IdempotencyTest {

  private static Map<String, String> key(String k) {
    return Map.of("Idempotency-Key", k);
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aSendRetriedWithItsKeyGetsTheFirstAnswerAndCreatesNothing(StoreKind store) {
    try (TestGateway gw = TestGateway.start(store)) {
      TestAgent agent = TestAgent.register(gw, Gateways.unique("idem"));
      String path = "/api/v1/agents/" + agent.agentId() + "/send";
      Map<String, Object> body = Map.of("channel", "commands", "message", Map.of("run", 1));
      var first = gw.operator().send("POST", path, body, key("order-42"));
      assertThat(first.status()).as(first.body()).isEqualTo(202);
      assertThat(first.header("Idempotent-Replayed")).isNull();
      var again = gw.operator().send("POST", path, body, key("order-42"));
      assertThat(again.status()).isEqualTo(202);
      assertThat(again.json().path("message_id").asText()).isEqualTo(first.json().path("message_id").asText());
      assertThat(again.json().path("status").asText()).isEqualTo("queued");
      assertThat(again.header("Idempotent-Replayed")).isEqualTo("true");
      assertThat(messages(gw, agent.agentId())).hasSize(1);

      // A new key is a new request.
      assertThat(gw.operator().send("POST", path, body, key("order-43")).status()).isEqualTo(202);
      assertThat(messages(gw, agent.agentId())).hasSize(2);
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void theSameKeyOnADifferentRequestIsRefused(StoreKind store) {
    try (TestGateway gw = TestGateway.start(store)) {
      TestAgent agent = TestAgent.register(gw, Gateways.unique("idem"));
      String path = "/api/v1/agents/" + agent.agentId() + "/send";
      gw.operator().send("POST", path, Map.of("channel", "commands", "message", Map.of("run", 1)), key("k1"));
      var other = gw.operator().send("POST", path, Map.of("channel", "commands", "message", Map.of("run", 2)), key("k1"));
      assertThat(other.status()).isEqualTo(422);
      assertThat(other.json().path("error").path("code").asText()).isEqualTo("idempotency_key_reused");
      assertThat(messages(gw, agent.agentId())).hasSize(1);
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void keysBelongToTheirOperator(StoreKind store) {
    try (TestGateway gw = TestGateway.start(store)) {
      TestAgent agent = TestAgent.register(gw, Gateways.unique("idem"));
      ApiClient other = gw.withToken(new OperatorTokens(gw.server().database(), Optional.empty()).create("other"));
      String path = "/api/v1/agents/" + agent.agentId() + "/send";
      Map<String, Object> body = Map.of("channel", "commands", "message", Map.of("run", 1));
      var mine = gw.operator().send("POST", path, body, key("shared"));
      var theirs = other.send("POST", path, body, key("shared"));
      assertThat(theirs.status()).isEqualTo(202);
      assertThat(theirs.json().path("message_id").asText()).isNotEqualTo(mine.json().path("message_id").asText());
      assertThat(messages(gw, agent.agentId())).hasSize(2);
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void concurrentRetriesCreateOneMessage(StoreKind store) {
    try (TestGateway gw = TestGateway.start(store)) {
      TestAgent agent = TestAgent.register(gw, Gateways.unique("idem"));
      String path = "/api/v1/agents/" + agent.agentId() + "/send";
      Map<String, Object> body = Map.of("channel", "commands", "message", Map.of("run", 1));
      List<CompletableFuture<ApiClient.Response>> answers = java.util.stream.IntStream.range(0, 20)
          .mapToObj(i -> gw.operator().sendAsync("POST", path, body, key("race"))).toList();
      List<String> ids = answers.stream().map(CompletableFuture::join)
          .peek(r -> assertThat(r.status()).as(r.body()).isEqualTo(202))
          .map(r -> r.json().path("message_id").asText()).distinct().toList();
      assertThat(ids).hasSize(1);
      assertThat(messages(gw, agent.agentId())).hasSize(1);
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aBroadcastRetriedWithItsKeyGetsTheFirstAnswerAndReachesEachAgentOnce(StoreKind store) throws Exception {
    try (TestGateway gw = TestGateway.start(store)) {
      TestAgent agent = TestAgent.register(gw, Gateways.unique("idem"));
      try (TestAgent.Session s = agent.connect()) {
        Map<String, Object> body = Map.of("channel", "news", "message", Map.of("v", 1),
            "target", Map.of("agent_ids", List.of(agent.agentId())), "queue_offline", true);
        var first = gw.operator().send("POST", "/api/v1/agents/broadcast", body, key("b-1"));
        assertThat(first.status()).as(first.body()).isEqualTo(202);
        var again = gw.operator().send("POST", "/api/v1/agents/broadcast", body, key("b-1"));
        assertThat(again.status()).isEqualTo(202);
        assertThat(again.json()).isEqualTo(first.json());
        String id = first.json().path("message_id").asText();
        assertThat(s.nextNonAck().id()).isEqualTo(id);
        s.ack(id);
        assertThat(messages(gw, agent.agentId())).hasSize(1);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void malformedKeysAndTimeoutsAreRefused(StoreKind store) {
    try (TestGateway gw = TestGateway.start(store)) {
      TestAgent agent = TestAgent.register(gw, Gateways.unique("idem"));
      String path = "/api/v1/agents/" + agent.agentId() + "/send";
      Map<String, Object> body = Map.of("channel", "commands", "message", Map.of("run", 1));
      var tooLong = gw.operator().send("POST", path, body, key("x".repeat(256)));
      assertThat(tooLong.status()).isEqualTo(400);
      assertThat(tooLong.json().path("error").path("code").asText()).isEqualTo("invalid_idempotency_key");
      var badTimeout = gw.operator().send("POST", path, body, Map.of("Request-Timeout", "soon"));
      assertThat(badTimeout.status()).isEqualTo(400);
      assertThat(badTimeout.json().path("error").path("code").asText()).isEqualTo("invalid_request_timeout");
      assertThat(messages(gw, agent.agentId())).isEmpty();
    }
  }

  private static List<com.fasterxml.jackson.databind.JsonNode> messages(TestGateway gw, String agentId) {
    var list = new java.util.ArrayList<com.fasterxml.jackson.databind.JsonNode>();
    gw.operator().get("/api/v1/agents/" + agentId + "/messages").json().path("messages").forEach(list::add);
    return list;
  }
}
