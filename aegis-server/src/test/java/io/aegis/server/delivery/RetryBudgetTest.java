package io.aegis.server.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.aegis.protocol.record.OpenedRecord;
import io.aegis.server.testing.AgentConnection;
import io.aegis.server.testing.StoreKind;
import io.aegis.server.testing.TestAgent;
import io.aegis.server.testing.TestGateway;
import io.aegis.server.testing.Transport;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The retry budget is measured in time, not in reconnects (docs/PROTOCOL.md §11.2): a flapping
 * connection may see a message in every session without spending its attempts, while a command
 * that crashes its agent every time still fails, within the documented bound.
 */
class RetryBudgetTest {

  private static JsonNode view(TestGateway gw, String id) {
    return gw.operator().get("/api/v1/messages/" + id).json();
  }

  private static String send(TestGateway gw, String agentId) {
    var r = gw.operator().post("/api/v1/agents/" + agentId + "/send", Map.of("channel", "commands",
        "message", Map.of("action", "restart-service"), "message_type", "request"));
    assertThat(r.status()).as(r.body()).isEqualTo(202);
    return r.json().path("message_id").asText();
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void anAgentThatReconnectsTenTimesThenAcksGetsItsMessageDelivered(StoreKind store) {
    try (TestGateway gw = TestGateway.start(store, Map.of("AEGIS_ACK_TIMEOUT", "30s",
        "MESSAGE_RETRY_ATTEMPTS", "3"))) {
      TestAgent agent = TestAgent.register(gw, "flapping");
      String id = send(gw, agent.agentId());
      // A network that cuts every session right after the message arrives, ten times over.
      for (int i = 0; i < 10; i++) {
        try (TestAgent.Session s = agent.connect()) {
          assertThat(s.nextNonAck().id()).as("session %d gets the message at once", i).isEqualTo(id);
        }
      }
      try (TestAgent.Session s = agent.connect()) {
        assertThat(s.nextNonAck().id()).isEqualTo(id);
        s.ack(id);
        await().atMost(Duration.ofSeconds(30)).until(() -> view(gw, id).path("status").asText().equals("delivered"));
      }
      // Eleven sessions saw it within one ack timeout: one attempt (two if the machine was so slow
      // that the 30 s deadline passed).
      assertThat(view(gw, id).path("attempts").asInt()).isBetween(1, 2);
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aCommandThatCrashesItsAgentEveryTimeFailsWithinTheBound(StoreKind store) {
    // Bound: AEGIS_ACK_TIMEOUT × (2^(1 + MESSAGE_RETRY_ATTEMPTS) − 1) = 300 ms × 7 = 2.1 s.
    try (TestGateway gw = TestGateway.start(store, Map.of("AEGIS_ACK_TIMEOUT", "300ms",
        "MESSAGE_RETRY_ATTEMPTS", "2"))) {
      TestAgent agent = TestAgent.register(gw, "crashing");
      long start = System.nanoTime();
      String id = send(gw, agent.agentId());
      int sessions = 0;
      // The agent runs the command, crashes before acknowledging it, restarts, and again.
      while (!view(gw, id).path("status").asText().equals("failed")) {
        try (TestAgent.Session s = agent.connect()) {
          sessions++;
          s.socket().nextText(Duration.ofSeconds(2)); // the command (or nothing, once it failed)
        } catch (AssertionError nothingArrived) {
          // the message may have failed meanwhile: the loop looks
        }
        assertThat(sessions).as("sessions before the message failed").isLessThan(500);
      }
      Duration took = Duration.ofNanos(System.nanoTime() - start);
      JsonNode v = view(gw, id);
      assertThat(v.path("attempts").asInt()).isEqualTo(3);
      assertThat(v.path("error").asText()).startsWith("attempts used up: 3 attempts");
      // No earlier than its attempts allow (the 300 and 600 ms deadlines of the first two), however
      // many sessions saw it meanwhile.
      assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(900));
    }
  }

  @Test
  void aPollerThatDoesNotAcknowledgeIsNotSentTheMessageAgainBeforeItsDeadline() {
    try (TestGateway gw = TestGateway.start(StoreKind.SQLITE, Map.of("AEGIS_ACK_TIMEOUT", "30s"))) {
      TestAgent agent = TestAgent.register(gw, "poller");
      String id = send(gw, agent.agentId());
      try (AgentConnection c = Transport.HTTP_POLLING.connect(agent)) {
        OpenedRecord first = c.nextNonAck();
        assertThat(first.id()).isEqualTo(id);
        c.expectNothing(Duration.ofSeconds(2)); // polls keep coming; the attempt waits for its deadline
      }
      assertThat(view(gw, id).path("attempts").asInt()).isEqualTo(1);
    }
  }
}
