package io.aegis.agent;

import static io.aegis.agent.AgentClientTest.json;
import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.agent.testing.GatewaySession;
import io.aegis.agent.testing.ScriptedGateway;
import io.aegis.agent.testing.TestAgent;
import io.aegis.protocol.MessageTypes;
import io.aegis.protocol.testing.MutableClock;
import io.aegis.server.testing.Waits;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Traffic key ratcheting in both directions inside one session. */
class KeyUpdateTest {

  private final TestAgent agent = new TestAgent();
  private final ScriptedGateway gateway = agent.gateway();
  private final BlockingQueue<AgentMessage> handled = new LinkedBlockingQueue<>();
  private AgentClient client;

  @AfterEach
  void tearDown() {
    if (client != null) {
      client.close();
    }
    gateway.close();
  }

  private GatewaySession connect(AgentClientBuilder b) throws Exception {
    client = b.defaultHandler(handled::add).build().start();
    return gateway.nextSession();
  }

  @Test
  void theAgentRekeysItsDirectionAfterTheRecordLimit() throws Exception {
    GatewaySession s = connect(agent.builder(gateway).keyUpdate(Duration.ofHours(1), 3));
    for (int i = 0; i < 10; i++) {
      client.send("events", "event", json("{\"n\":" + i + "}"));
    }
    for (int i = 0; i < 10; i++) {
      assertThat(json(s.nextRecord(MessageTypes.EVENT).bodyText()).path("n").asInt()).isEqualTo(i);
    }
    // 10 records at 3 per key: updates before records 4, 7 and 10.
    assertThat(s.agentKeyUpdates()).isEqualTo(3);
    assertThat(s.agentEpoch()).isEqualTo(3);
  }

  @Test
  void theAgentRekeysItsDirectionWhenTheIntervalHasPassed() throws Exception {
    // The SDK's clock, which only the test moves: the interval passes when the test says so,
    // never on its own however slow the machine is.
    MutableClock clock = new MutableClock(System.currentTimeMillis());
    GatewaySession s = connect(agent.builder(gateway).clock(clock).keyUpdate(Duration.ofHours(1), 1_000_000));
    client.send("events", "event", json("{}"));
    s.nextRecord(MessageTypes.EVENT);
    assertThat(s.agentKeyUpdates()).isZero();
    clock.advance(Duration.ofMinutes(61));
    client.send("events", "event", json("{}"));
    s.nextRecord(MessageTypes.EVENT);
    assertThat(s.agentKeyUpdates()).isEqualTo(1);
  }

  @Test
  void theGatewaysKeyUpdateIsFollowedAndItsRequestForOursHonoured() throws Exception {
    GatewaySession s = connect(agent.builder(gateway));
    s.sendCommand("m-1", MessageTypes.EVENT, "commands", json("{}"));
    assertThat(handled.poll(Waits.EVENT.toSeconds(), TimeUnit.SECONDS)).isNotNull();
    s.nextRecord(MessageTypes.ACK);

    s.keyUpdate(true); // the gateway moves to epoch 1 and asks the agent to update too
    s.sendCommand("m-2", MessageTypes.EVENT, "commands", json("{}"));
    assertThat(handled.poll(Waits.EVENT.toSeconds(), TimeUnit.SECONDS)).extracting(AgentMessage::id).isEqualTo("m-2");
    s.nextRecord(MessageTypes.ACK); // opened under the agent's new key
    assertThat(s.gatewayEpoch()).isEqualTo(1);
    assertThat(s.agentKeyUpdates()).isEqualTo(1);
    assertThat(s.agentEpoch()).isEqualTo(1);

    s.keyUpdate(false); // a plain update needs no answer
    s.sendCommand("m-3", MessageTypes.EVENT, "commands", json("{}"));
    assertThat(handled.poll(Waits.EVENT.toSeconds(), TimeUnit.SECONDS)).extracting(AgentMessage::id).isEqualTo("m-3");
    s.nextRecord(MessageTypes.ACK);
    assertThat(s.agentKeyUpdates()).isEqualTo(1);
  }
}
