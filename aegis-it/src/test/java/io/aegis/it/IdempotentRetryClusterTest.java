package io.aegis.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.it.testing.TestCluster;
import io.aegis.protocol.record.OpenedRecord;
import io.aegis.server.testing.TestAgent;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A send committed on a node that is then killed (its answer lost to the client), retried with
 * the same Idempotency-Key through another node, reaches the agent once: the retry finds the key
 * in the shared store and answers with the first message.
 */
class IdempotentRetryClusterTest {

  @Test
  void aSendWhoseNodeDiedAfterTheCommitIsRetriedElsewhereAndDeliveredOnce() throws Exception {
    try (TestCluster cluster = TestCluster.start(2)) {
      TestAgent agent = cluster.register("retry-1");
      Map<String, Object> body = Map.of("channel", "commands", "message", Map.of("run", "once"));
      Map<String, String> key = Map.of("Idempotency-Key", "job-42");

      var first = cluster.operator(0).send("POST", "/api/v1/agents/retry-1/send", body, key);
      assertThat(first.status()).as(first.body()).isEqualTo(202);
      cluster.kill(0); // the client never saw that answer

      var retry = cluster.operator(1).send("POST", "/api/v1/agents/retry-1/send", body, key);
      assertThat(retry.status()).as(retry.body()).isEqualTo(202);
      assertThat(retry.header("Idempotent-Replayed")).isEqualTo("true");
      String id = retry.json().path("message_id").asText();
      assertThat(id).isEqualTo(first.json().path("message_id").asText());

      try (TestAgent.Session s = agent.at(cluster.url(1)).connect()) {
        OpenedRecord rec = s.nextNonAck();
        assertThat(rec.id()).isEqualTo(id);
        assertThat(rec.bodyText()).isEqualTo("{\"run\":\"once\"}");
        s.ack(id);
      }
      var messages = cluster.operator(1).get("/api/v1/agents/retry-1/messages").json().path("messages");
      assertThat(messages).as("one message for one intended send").hasSize(1);
    }
  }
}
