package io.aegis.server.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.aegis.protocol.IdentityKeyPair;
import io.aegis.protocol.record.OpenedRecord;
import io.aegis.server.testing.ApiClient;
import io.aegis.server.testing.GatewayProcess;
import io.aegis.server.testing.Gateways;
import io.aegis.server.testing.StoreKind;
import io.aegis.server.testing.TestAgent;
import io.aegis.server.testing.TestGateway;
import io.aegis.server.testing.Waits;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Delivery when things go wrong: the gateway killed mid-way, an agent that stops reading. */
class DeliveryUnderFailureTest {

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aMessageAcceptedBeforeKillMinus9IsDeliveredAfterTheRestart(StoreKind store) throws Exception {
    try (TestGateway gw = TestGateway.start(store)) {
      var backendKey = gw.server().identity().publicKey();
      gw.stop(); // the store belongs to the processes below now
      String agentId = Gateways.unique("killed");
      IdentityKeyPair key = IdentityKeyPair.generate(new SecureRandom());
      String messageId;
      try (GatewayProcess first = GatewayProcess.start(gw.env())) {
        ApiClient op = new ApiClient(first.baseUrl(), TestGateway.OPERATOR_TOKEN);
        assertThat(op.post("/api/v1/agents", Map.of("agent_id", agentId, "public_key", key.publicKey().base64()))
            .status()).isEqualTo(201);
        var r = op.post("/api/v1/agents/" + agentId + "/send", Map.of("channel", "commands", "message", Map.of("run", 1)));
        assertThat(r.status()).isEqualTo(202);
        messageId = r.json().path("message_id").asText();
        first.kill();
      }
      try (GatewayProcess second = GatewayProcess.start(gw.env())) {
        TestAgent agent = new TestAgent(second.baseUrl(), "/ws/agent", backendKey, agentId, key);
        try (TestAgent.Session s = agent.connect()) {
          OpenedRecord rec = s.nextNonAck();
          assertThat(rec.id()).isEqualTo(messageId);
          assertThat(rec.bodyText()).isEqualTo("{\"run\":1}");
          s.ack(messageId);
        }
        ApiClient op = new ApiClient(second.baseUrl(), TestGateway.OPERATOR_TOKEN);
        await().atMost(Waits.EVENT).until(() ->
            op.get("/api/v1/messages/" + messageId).json().path("status").asText().equals("delivered"));
      }
    }
  }

  @Test
  void aStalledAgentDoesNotDelayOthersAndLosesNothing() {
    try (TestGateway gw = TestGateway.start(StoreKind.SQLITE, Map.of("WEBSOCKET_WRITE_BUFFER_SIZE", "4096",
        "AEGIS_ACK_TIMEOUT", "60s"))) {
      TestAgent slow = TestAgent.register(gw, Gateways.unique("stalled"));
      TestAgent fast = TestAgent.register(gw, Gateways.unique("fast"));
      try (TestAgent.Session stalled = slow.connect(); TestAgent.Session healthy = fast.connect()) {
        stalled.socket().pause();
        String big = "x".repeat(100_000);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
          ids.add(gw.operator().post("/api/v1/agents/" + slow.agentId() + "/send",
              Map.of("channel", "bulk", "message", Map.of("i", i, "pad", big), "priority", "bulk"))
              .json().path("message_id").asText());
        }
        // The stalled agent's socket is full; the rest of its backlog waits in the store.
        await().atMost(Waits.EVENT).until(() -> gw.operator()
            .get("/api/v1/agents/" + slow.agentId() + "/messages?status=pending").json().path("messages").size() > 0);

        // The healthy agent gets its message while the other one is still stalled: delivery to one
        // agent never waits for another's socket. (How fast is for bin/aegis bench.)
        String id = gw.operator().post("/api/v1/agents/" + fast.agentId() + "/send",
            Map.of("channel", "commands", "message", Map.of("ping", 1))).json().path("message_id").asText();
        assertThat(healthy.nextNonAck().id()).isEqualTo(id);

        // Once it reads again, the stalled agent gets everything, in order.
        stalled.socket().resume();
        Set<String> seen = new HashSet<>();
        List<String> order = new ArrayList<>();
        while (seen.size() < ids.size()) {
          OpenedRecord r = stalled.nextNonAck();
          if (seen.add(r.id())) {
            order.add(r.id());
            stalled.ack(r.id());
          }
        }
        assertThat(order).containsExactlyElementsOf(ids);
      }
    }
  }
}
