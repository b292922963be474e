package io.aegis.agent;

import static io.aegis.agent.AgentClientTest.json;
import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.agent.testing.GatewaySession;
import io.aegis.agent.testing.Recorder;
import io.aegis.agent.testing.ScriptedGateway;
import io.aegis.agent.testing.TestAgent;
import io.aegis.protocol.BackendKeyRing;
import io.aegis.protocol.IdentityKeyPair;
import io.aegis.protocol.IdentityPublicKey;
import io.aegis.protocol.MessageTypes;
import java.security.SecureRandom;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Backend identity key rotation as the agent sees it: announce, pin, switch. */
class BackendKeyTest {

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

  private GatewaySession connect() throws Exception {
    client = agent.builder(gateway).defaultHandler(handled::add).build().start();
    GatewaySession s = gateway.nextSession();
    agent.recorder.connected();
    return s;
  }

  private static com.fasterxml.jackson.databind.JsonNode announcement(IdentityPublicKey key) throws Exception {
    return json("{\"key_id\":\"" + key.keyIdHex() + "\",\"public_key\":\"" + key.base64() + "\"}");
  }

  @Test
  void anAnnouncedNextKeyIsPinnedReportedAndUsedAfterTheRotation() throws Exception {
    GatewaySession s = connect();
    IdentityKeyPair next = gateway.nextBackendKey();
    s.sendSigned(gateway.backendKey(), "bk-1", MessageTypes.BACKEND_KEY, "control", "*", 0,
        announcement(next.publicKey()));
    assertThat(agent.recorder.next(Recorder.KeyAnnounced.class).key()).isEqualTo(next.publicKey());
    assertThat(client.pinnedBackendKeys().current()).isEqualTo(gateway.backendKey().publicKey());
    assertThat(client.pinnedBackendKeys().next()).isEqualTo(next.publicKey());

    // Commands signed by the next key are accepted already.
    s.sendSigned(next, "m-1", "event", "commands", "agent:" + TestAgent.ID, 0, json("{}"));
    assertThat(handled.poll(5, TimeUnit.SECONDS)).extracting(AgentMessage::id).isEqualTo("m-1");

    // The backend rotates: it holds only the new key. The agent's next handshake still succeeds.
    gateway.useKeys(BackendKeyRing.of(next));
    s.close(4002, "session expired");
    agent.recorder.disconnected();
    agent.recorder.reconnecting();
    gateway.nextSession();
    // The agent sees the gateway sign with its next pin and promotes it (PROTOCOL.md §10.3).
    assertThat(agent.recorder.next(Recorder.KeyPromoted.class).key()).isEqualTo(next.publicKey());
    assertThat(agent.recorder.connected().backendKeyId()).isEqualTo(next.publicKey().keyIdHex());
    assertThat(client.pinnedBackendKeys().current()).isEqualTo(next.publicKey());
    assertThat(client.pinnedBackendKeys().next()).isNull();
  }

  @Test
  void theSameAnnouncementAgainIsNotReportedTwice() throws Exception {
    GatewaySession s = connect();
    IdentityPublicKey next = gateway.nextBackendKey().publicKey();
    s.sendSigned(gateway.backendKey(), "bk-1", MessageTypes.BACKEND_KEY, "control", "*", 0, announcement(next));
    agent.recorder.next(Recorder.KeyAnnounced.class);
    s.sendSigned(gateway.backendKey(), "bk-2", MessageTypes.BACKEND_KEY, "control", "*", 0, announcement(next));
    s.sendSigned(gateway.backendKey(), "bk-1", MessageTypes.BACKEND_KEY, "control", "*", 0, announcement(next));
    agent.recorder.expectNothing(java.time.Duration.ofMillis(300));
  }

  @Test
  void anAnnouncementNotSignedByAPinnedKeyIsRefused() throws Exception {
    GatewaySession s = connect();
    IdentityKeyPair attacker = IdentityKeyPair.generate(new SecureRandom());
    s.sendSigned(attacker, "bk-1", MessageTypes.BACKEND_KEY, "control", "*", 0, announcement(attacker.publicKey()));
    RejectedMessage r = agent.recorder.rejected();
    assertThat(r.reason()).isEqualTo("unknown_signer");
    assertThat(client.pinnedBackendKeys().next()).isNull();
  }

  @Test
  void anAnnouncementWhoseKeyIdDoesNotMatchItsKeyIsRefused() throws Exception {
    GatewaySession s = connect();
    IdentityPublicKey next = gateway.nextBackendKey().publicKey();
    s.sendSigned(gateway.backendKey(), "bk-1", MessageTypes.BACKEND_KEY, "control", "*", 0,
        json("{\"key_id\":\"0000000000000000\",\"public_key\":\"" + next.base64() + "\"}"));
    assertThat(agent.recorder.rejected().reason()).isEqualTo("invalid_body");
    assertThat(client.pinnedBackendKeys().next()).isNull();
  }
}
