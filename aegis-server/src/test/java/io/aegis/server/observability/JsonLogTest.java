package io.aegis.server.observability;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.aegis.protocol.IdentityKeyPair;
import io.aegis.protocol.record.OpenedRecord;
import io.aegis.server.testing.ApiClient;
import io.aegis.server.testing.GatewayProcess;
import io.aegis.server.testing.Gateways;
import io.aegis.server.testing.StoreKind;
import io.aegis.server.testing.TestAgent;
import io.aegis.server.testing.TestGateway;
import java.io.IOException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * {@code AEGIS_LOG_FORMAT=json}, as an operator runs it: a node in its own process with the
 * production log configuration writes one JSON object per line, with the node, agent and message
 * ids as fields, and never the operator's token.
 */
class JsonLogTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void aNodeLogsOneJsonObjectPerLineWithTheIdsAsFields() throws IOException {
    try (TestGateway gw = TestGateway.start(StoreKind.SQLITE)) {
      gw.stop(); // the store is the process's now
      Map<String, String> env = new HashMap<>(gw.env());
      env.put("AEGIS_LOG_FORMAT", "json");
      env.put("AEGIS_NODE_ID", "json-node");
      try (GatewayProcess node = GatewayProcess.start(env, List.of("-Dlogback.configurationFile=logback.xml"))) {
        ApiClient op = new ApiClient(node.baseUrl(), TestGateway.OPERATOR_TOKEN);
        String agentId = Gateways.unique("json-log");
        IdentityKeyPair key = IdentityKeyPair.generate(new SecureRandom());
        assertThat(op.post("/api/v1/agents", Map.of("agent_id", agentId, "public_key", key.publicKey().base64()))
            .status()).isEqualTo(201);
        TestAgent agent = new TestAgent(node.baseUrl(), gw.server().config().websocketPath(),
            gw.server().identity().publicKey(), agentId, key);
        String messageId;
        try (TestAgent.Session s = agent.connect()) {
          messageId = op.post("/api/v1/agents/" + agentId + "/send",
              Map.of("channel", "commands", "message", Map.of("n", 1))).json().path("message_id").asText();
          OpenedRecord r = s.nextNonAck();
          assertThat(r.id()).isEqualTo(messageId);
          // Refused by the agent: the gateway logs it at INFO, naming the agent and the message.
          s.send(UUID.randomUUID().toString(), "ack", "control", Map.of(),
              "{\"ids\":[\"" + messageId + "\"],\"rejected\":{\"" + messageId + "\":\"no_handler\"}}");
          Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> node.log().contains(messageId));
        }

        String log = node.log();
        assertThat(log).doesNotContain(TestGateway.OPERATOR_TOKEN)
            // logback's own configuration status: once dumped at every start, now silent
            .doesNotContain("in ch.qos.logback");
        List<JsonNode> lines = new ArrayList<>();
        for (String line : log.split("\n")) {
          // The JVM itself may warn on stderr; everything logback writes is JSON.
          assertThat(line).as("a log line in text format").doesNotMatch("^\\d{4}-\\d\\d-\\d\\dT.*");
          if (line.startsWith("{")) {
            JsonNode o = JSON.readTree(line);
            assertThat(o.isObject()).isTrue();
            for (String field : List.of("time", "level", "logger", "message")) {
              assertThat(o.path(field).isTextual()).as(field + " in " + line).isTrue();
            }
            if (o.has("node_id")) { // from when the node knows its id on
              assertThat(o.path("node_id").asText()).as(line).isEqualTo("json-node");
            }
            lines.add(o);
          }
        }
        assertThat(lines).as(log).anySatisfy(o -> {
          assertThat(o.path("level").asText()).isEqualTo("INFO");
          assertThat(o.path("node_id").asText()).isEqualTo("json-node");
          assertThat(o.path("agent_id").asText()).isEqualTo(agentId);
          assertThat(o.path("message_id").asText()).isEqualTo(messageId);
          assertThat(o.path("message").asText()).contains("no_handler");
        });
      }
    }
  }
}
