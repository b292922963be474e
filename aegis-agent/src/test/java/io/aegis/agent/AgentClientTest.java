package io.aegis.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.aegis.agent.testing.GatewaySession;
import io.aegis.agent.testing.ScriptedGateway;
import io.aegis.agent.testing.TestAgent;
import io.aegis.protocol.MessageTypes;
import io.aegis.server.testing.Waits;
import io.vertx.core.MultiMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class AgentClientTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final TestAgent agent = new TestAgent();
  private final ScriptedGateway gateway = agent.gateway();
  private AgentClient client;

  @AfterEach
  void tearDown() {
    if (client != null) {
      client.close();
    }
    gateway.close();
  }

  static JsonNode json(String s) throws Exception {
    return JSON.readTree(s);
  }

  @Test
  void upgradeCarriesTheSeedHeadersAndTheHandshakeCompletes() throws Exception {
    client = agent.builder(gateway).build().start();
    MultiMap headers = gateway.nextUpgradeHeaders();
    assertThat(headers.get("X-Agent-ID")).isEqualTo(TestAgent.ID);
    assertThat(headers.get("X-Agent-Public-Key")).isEqualTo(agent.key.publicKey().base64());
    assertThat(headers.get("User-Agent")).matches("Aegis-Agent/\\S+ \\(java\\)");
    gateway.nextSession();
    SessionInfo info = agent.recorder.connected();
    assertThat(info.sessionId()).hasSize(32);
    assertThat(info.backendKeyId()).isEqualTo(gateway.backendKey().publicKey().keyIdHex());
    assertThat(client.state()).isEqualTo(AgentClient.State.CONNECTED);
  }

  @Test
  void aDeliveredCommandReachesItsHandlerAndIsAcknowledged() throws Exception {
    BlockingQueue<AgentMessage> got = new LinkedBlockingQueue<>();
    client = agent.builder(gateway).onMessage("commands", got::add).build().start();
    GatewaySession s = gateway.nextSession();
    s.sendCommand("m-1", MessageTypes.EVENT, "commands", json("{\"do\":\"scan\"}"));
    AgentMessage m = got.poll(Waits.EVENT.toSeconds(), TimeUnit.SECONDS);
    assertThat(m).isNotNull();
    assertThat(m.id()).isEqualTo("m-1");
    assertThat(m.channel()).isEqualTo("commands");
    assertThat(m.json().path("do").asText()).isEqualTo("scan");
    assertThat(m.isBroadcast()).isFalse();
    var ack = s.nextRecord(MessageTypes.ACK);
    assertThat(ack.channel()).isEqualTo("control");
    assertThat(json(ack.bodyText())).isEqualTo(json("{\"ids\":[\"m-1\"]}"));
    assertThat(ack.isSigned()).isFalse();
  }
}
