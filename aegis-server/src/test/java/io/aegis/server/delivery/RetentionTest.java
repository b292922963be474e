package io.aegis.server.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.aegis.server.testing.Gateways;
import io.aegis.server.testing.StoreKind;
import io.aegis.server.testing.TestAgent;
import io.aegis.server.testing.TestGateway;
import io.aegis.server.testing.Waits;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Finished messages are deleted after AEGIS_MESSAGE_RETENTION; unfinished ones never are. */
class RetentionTest {

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void deliveredMessagesAreDeletedAfterTheRetentionAndPendingOnesStay(StoreKind store) {
    try (TestGateway gw = TestGateway.start(store, Map.of("AEGIS_MESSAGE_RETENTION", "1s",
        "AEGIS_DELIVERY_SWEEP_INTERVAL", "100ms"))) {
      TestAgent online = TestAgent.register(gw, Gateways.unique("ret"));
      TestAgent offline = TestAgent.register(gw, Gateways.unique("retoff"));
      String pending = gw.operator().post("/api/v1/agents/" + offline.agentId() + "/send",
          Map.of("channel", "c", "message", Map.of("n", 1))).json().path("message_id").asText();
      String delivered;
      try (TestAgent.Session s = online.connect()) {
        delivered = gw.operator().post("/api/v1/agents/" + online.agentId() + "/send",
            Map.of("channel", "c", "message", Map.of("n", 2))).json().path("message_id").asText();
        s.ack(s.nextNonAck().id());
      }
      await().atMost(Waits.EVENT).until(() ->
          gw.operator().get("/api/v1/messages/" + delivered).status() == 404);
      assertThat(gw.operator().get("/api/v1/messages/" + pending).json().path("status").asText()).isEqualTo("pending");
    }
  }
}
