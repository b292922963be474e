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
import io.aegis.protocol.PinnedBackendKeys;
import io.aegis.server.testing.Waits;
import java.security.SecureRandom;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Backend identity key rotation as the agent sees it (PROTOCOL.md §10.3): an accepted announcement
 * pins [announced, previous first]; a handshake signed by the second pin swaps the pins.
 */
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

  /** Ends the session with 4002 and waits for the reconnect's handshake; returns the new session. */
  private GatewaySession expireAndReconnect(GatewaySession s) throws Exception {
    s.close(4002, "session expired");
    agent.recorder.disconnected();
    agent.recorder.reconnecting();
    return gateway.nextSession();
  }

  @Test
  void anAnnouncedKeyBecomesTheFirstPinAndIsAskedForInTheNextHandshake() throws Exception {
    IdentityKeyPair old = gateway.backendKey();
    IdentityKeyPair next = gateway.nextBackendKey();
    gateway.useKeys(BackendKeyRing.of(old, next)); // the gateway holds a next key and announces it
    GatewaySession s = connect();
    s.sendSigned(old, "bk-1", MessageTypes.BACKEND_KEY, "control", "*", 0, announcement(next.publicKey()));
    assertThat(agent.recorder.next(Recorder.KeyAnnounced.class).key()).isEqualTo(next.publicKey());
    // PROTOCOL.md §10.3: [announced, previous current].
    assertThat(client.pinnedBackendKeys().current()).isEqualTo(next.publicKey());
    assertThat(client.pinnedBackendKeys().next()).isEqualTo(old.publicKey());

    // Commands signed by either key are accepted.
    s.sendSigned(next, "m-1", "event", "commands", "agent:" + TestAgent.ID, 0, json("{}"));
    s.sendSigned(old, "m-2", "event", "commands", "agent:" + TestAgent.ID, 0, json("{}"));
    assertThat(handled.poll(Waits.EVENT.toSeconds(), TimeUnit.SECONDS)).extracting(AgentMessage::id).isEqualTo("m-1");
    assertThat(handled.poll(Waits.EVENT.toSeconds(), TimeUnit.SECONDS)).extracting(AgentMessage::id).isEqualTo("m-2");

    // The next handshake asks for the announced key; the gateway holds it (as next) and signs with
    // it (it signs with its current key unless asked otherwise): the first pin signed, nothing to
    // swap, nothing to report.
    s = expireAndReconnect(s);
    assertThat(agent.recorder.connected().backendKeyId()).isEqualTo(next.publicKey().keyIdHex());

    // The backend promotes the next key and drops the old one: the agent already asks for it.
    gateway.useKeys(BackendKeyRing.of(next));
    expireAndReconnect(s);
    assertThat(agent.recorder.connected().backendKeyId()).isEqualTo(next.publicKey().keyIdHex());
    agent.recorder.expectNothing(java.time.Duration.ofMillis(200));
    assertThat(client.pinnedBackendKeys().current()).isEqualTo(next.publicKey());
    assertThat(client.pinnedBackendKeys().next()).isEqualTo(old.publicKey());
  }

  @Test
  void aHandshakeSignedByTheSecondPinSwapsThePins() throws Exception {
    IdentityKeyPair old = gateway.backendKey();
    IdentityKeyPair next = gateway.nextBackendKey();
    GatewaySession s = connect();
    s.sendSigned(old, "bk-1", MessageTypes.BACKEND_KEY, "control", "*", 0, announcement(next.publicKey()));
    agent.recorder.next(Recorder.KeyAnnounced.class);

    // The agent reaches a node that does not hold the announced key yet (old only): it asks for
    // the new key, the node signs with the old one, the second pin. The pins swap.
    s = expireAndReconnect(s);
    assertThat(agent.recorder.next(Recorder.KeyPromoted.class).key()).isEqualTo(old.publicKey());
    assertThat(agent.recorder.connected().backendKeyId()).isEqualTo(old.publicKey().keyIdHex());
    assertThat(client.pinnedBackendKeys().current()).isEqualTo(old.publicKey());
    assertThat(client.pinnedBackendKeys().next()).isEqualTo(next.publicKey());

    // Later the backend holds only the new key: the agent asks for the old one, gets the new one
    // (its second pin), and swaps again. This is the end of the rotation.
    gateway.useKeys(BackendKeyRing.of(next));
    expireAndReconnect(s);
    assertThat(agent.recorder.next(Recorder.KeyPromoted.class).key()).isEqualTo(next.publicKey());
    assertThat(agent.recorder.connected().backendKeyId()).isEqualTo(next.publicKey().keyIdHex());
    assertThat(client.pinnedBackendKeys().current()).isEqualTo(next.publicKey());
    assertThat(client.pinnedBackendKeys().next()).isEqualTo(old.publicKey());
  }

  @Test
  void configuredPinsFollowTheSameRule() throws Exception {
    IdentityKeyPair old = gateway.backendKey();
    IdentityKeyPair next = gateway.nextBackendKey();
    // The operator pinned both (current, next) and the backend has already rotated.
    gateway.useKeys(BackendKeyRing.of(next));
    client = agent.builder(gateway).backendKeys(PinnedBackendKeys.of(old.publicKey(), next.publicKey()))
        .defaultHandler(handled::add).build().start();
    gateway.nextSession();
    assertThat(agent.recorder.next(Recorder.KeyPromoted.class).key()).isEqualTo(next.publicKey());
    assertThat(agent.recorder.connected().backendKeyId()).isEqualTo(next.publicKey().keyIdHex());
    assertThat(client.pinnedBackendKeys().current()).isEqualTo(next.publicKey());
    assertThat(client.pinnedBackendKeys().next()).isEqualTo(old.publicKey());
  }

  @Test
  void anAnnouncementOfTheSecondPinMakesItTheFirstAgain() throws Exception {
    IdentityKeyPair old = gateway.backendKey();
    IdentityKeyPair next = gateway.nextBackendKey();
    GatewaySession s = connect();
    s.sendSigned(old, "bk-1", MessageTypes.BACKEND_KEY, "control", "*", 0, announcement(next.publicKey()));
    agent.recorder.next(Recorder.KeyAnnounced.class);
    s = expireAndReconnect(s); // a node without the new key: swapped to [old, new]
    agent.recorder.next(Recorder.KeyPromoted.class);
    agent.recorder.connected();
    // That node is given the next key and announces it (a fresh announcement): [new, old] again.
    s.sendSigned(old, "bk-2", MessageTypes.BACKEND_KEY, "control", "*", 0, announcement(next.publicKey()));
    assertThat(agent.recorder.next(Recorder.KeyAnnounced.class).key()).isEqualTo(next.publicKey());
    assertThat(client.pinnedBackendKeys().current()).isEqualTo(next.publicKey());
    assertThat(client.pinnedBackendKeys().next()).isEqualTo(old.publicKey());
  }

  @Test
  void aNewAnnouncementReplacesTheOlderOfTheTwoPins() throws Exception {
    IdentityKeyPair old = gateway.backendKey();
    IdentityKeyPair next = gateway.nextBackendKey();
    IdentityKeyPair third = IdentityKeyPair.generate(new SecureRandom());
    GatewaySession s = connect();
    s.sendSigned(old, "bk-1", MessageTypes.BACKEND_KEY, "control", "*", 0, announcement(next.publicKey()));
    agent.recorder.next(Recorder.KeyAnnounced.class);
    s.sendSigned(next, "bk-2", MessageTypes.BACKEND_KEY, "control", "*", 0, announcement(third.publicKey()));
    assertThat(agent.recorder.next(Recorder.KeyAnnounced.class).key()).isEqualTo(third.publicKey());
    assertThat(client.pinnedBackendKeys().current()).isEqualTo(third.publicKey());
    assertThat(client.pinnedBackendKeys().next()).isEqualTo(next.publicKey());
    // The oldest key is no longer trusted.
    s.sendSigned(old, "m-1", "event", "commands", "agent:" + TestAgent.ID, 0, json("{}"));
    assertThat(agent.recorder.rejected().reason()).isEqualTo("unknown_signer");
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
