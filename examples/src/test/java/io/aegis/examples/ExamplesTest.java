package io.aegis.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.agent.AgentClient;
import io.aegis.agent.AgentClientBuilder;
import io.aegis.protocol.IdentityKeyPair;
import io.aegis.server.testing.ApiClient;
import io.aegis.server.testing.Gateways;
import io.aegis.server.testing.StoreKind;
import io.aegis.server.testing.TestGateway;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The examples do what their Javadoc says, against a real gateway. */
class ExamplesTest {
  private static TestGateway gw;
  private static ApiClient operator;

  @BeforeAll
  static void startGateway() {
    gw = TestGateway.start(StoreKind.SQLITE);
    operator = gw.operator();
  }

  @AfterAll
  static void stopGateway() {
    gw.close();
  }

  /** Registers a new agent and returns a builder for it, as ExampleSettings makes one. */
  private static AgentClientBuilder registered(String agentId) {
    IdentityKeyPair key = IdentityKeyPair.generate(new SecureRandom());
    assertThat(operator.post("/api/v1/agents", Map.of("agent_id", agentId, "public_key", key.publicKey().base64()))
        .status()).isEqualTo(201);
    return AgentClient.builder()
        .backend(gw.baseUrl())
        .agentId(agentId)
        .identity(key)
        .backendKeys(gw.server().identity().publicKey().base64());
  }

  private static String statusOf(String messageId) {
    return operator.get("/api/v1/messages/" + messageId).json().path("status").asText();
  }

  @Test
  void theCommandAgentAnswersRequestsAndRefusesOtherChannels() {
    String agentId = Gateways.unique("example-commands");
    AgentClient client = CommandAgent.start(registered(agentId));
    try {
      Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> client.state() == AgentClient.State.CONNECTED);
      var answer = operator.post("/api/v1/agents/" + agentId + "/send", Map.of("channel", "commands",
          "message_type", "request", "message", Map.of("action", "echo", "text", "hello"), "wait", "60s"));
      assertThat(answer.status()).as(answer.toString()).isEqualTo(200);
      assertThat(answer.json().path("response").path("text").asText()).isEqualTo("hello");

      String other = operator.post("/api/v1/agents/" + agentId + "/send",
          Map.of("channel", "inventory", "message", Map.of())).json().path("message_id").asText();
      Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> statusOf(other).equals("failed"));
      assertThat(operator.get("/api/v1/messages/" + other).json().path("error").asText()).contains("no_handler");
    } finally {
      client.close();
    }
  }

  @Test
  void theEventReporterReportsHostStatusEvents() {
    String agentId = Gateways.unique("example-events");
    EventReporter reporter = EventReporter.start(registered(agentId), Duration.ofHours(1));
    try {
      // The first report goes at once; a second one on demand completes on the gateway's ack.
      reporter.report().join();
      Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> operator
          .get("/api/v1/events?agent_id=" + agentId + "&type=host.status").json().path("events").size() >= 2);
      var event = operator.get("/api/v1/events?agent_id=" + agentId + "&type=host.status").json().path("events").get(0);
      assertThat(event.path("body").has("free_memory_bytes")).as(event.toString()).isTrue();
    } finally {
      reporter.close();
    }
  }
}
