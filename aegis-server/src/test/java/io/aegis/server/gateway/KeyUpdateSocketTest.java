package io.aegis.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.aegis.protocol.PinnedBackendKeys;
import io.aegis.protocol.Protocol;
import io.aegis.protocol.WireJson;
import io.aegis.protocol.handshake.ClientHandshake;
import io.aegis.protocol.record.OpenedRecord;
import io.aegis.protocol.record.SecureChannel;
import io.aegis.server.testing.AgentSocket;
import io.aegis.server.testing.Gateways;
import io.aegis.server.testing.StoreKind;
import io.aegis.server.testing.TestAgent;
import io.aegis.server.testing.TestGateway;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Traffic-key updates through real sockets, on a gateway that ratchets its sending key every 3
 * records (AEGIS_KEY_ROTATION_RECORDS=3). Every unsigned event the agent sends is answered with
 * an {@code error} record (agent signatures are required here), which makes the gateway send.
 */
class KeyUpdateSocketTest {
  static final Gateways gateways = new Gateways(Map.of(
      "AEGIS_KEY_ROTATION_RECORDS", "3", "AEGIS_AGENT_SIGNATURES", "required"));

  @AfterAll
  static void stop() {
    gateways.close();
  }

  static TestGateway gw() {
    return gateways.get(StoreKind.SQLITE);
  }

  static void sendEvent(SecureChannel channel, AgentSocket socket, String id) throws Exception {
    socket.sendText(WireJson.encode(channel.seal(id, "event", "events", "{}".getBytes(StandardCharsets.UTF_8))));
  }

  @Test
  void theGatewayRatchetsItsSendingKeyAfterTheConfiguredNumberOfRecords() throws Exception {
    try (TestAgent.Session s = TestAgent.register(gw(), Gateways.unique("ratchet")).connect()) {
      SecureChannel ch = s.channel();
      // The session record was s→c #0; the answers to two events are #1 and #2; then the gateway updates.
      sendEvent(ch, s.socket(), "evt-1");
      sendEvent(ch, s.socket(), "evt-2");
      OpenedRecord a1 = ch.open(s.socket().nextText());
      OpenedRecord a2 = ch.open(s.socket().nextText());
      OpenedRecord update = ch.open(s.socket().nextText());
      assertThat(a1.epoch()).isZero();
      assertThat(a1.seq()).isEqualTo(1);
      assertThat(a2.seq()).isEqualTo(2);
      assertThat(update.keyUpdate()).isTrue();
      assertThat(update.seq()).isEqualTo(3);
      assertThat(update.keyUpdateRequested()).as("the gateway asks the agent to update too").isTrue();
      assertThat(ch.opener().epoch()).isEqualTo(1);

      // The agent owes its own update; after it, its records (epoch 1) still open at the gateway.
      assertThat(ch.keyUpdateOwed()).isTrue();
      s.socket().sendText(WireJson.encode(ch.sealKeyUpdate(false)));
      assertThat(ch.sealer().epoch()).isEqualTo(1);
      sendEvent(ch, s.socket(), "evt-3");
      OpenedRecord a3 = ch.open(s.socket().nextText());
      assertThat(a3.headers()).containsEntry("in-reply-to", "evt-3");
      assertThat(a3.epoch()).isEqualTo(1);
      assertThat(a3.seq()).isZero();
    }
  }

  @Test
  void recordsAfterAnAgentInitiatedKeyUpdateStillOpen() throws Exception {
    try (TestAgent.Session s = TestAgent.register(gw(), Gateways.unique("agentupd")).connect()) {
      SecureChannel ch = s.channel();
      for (int epoch = 1; epoch <= 3; epoch++) {
        s.socket().sendText(WireJson.encode(ch.sealKeyUpdate(false)));
        assertThat(ch.sealer().epoch()).isEqualTo(epoch);
        sendEvent(ch, s.socket(), "evt-" + epoch);
        // next() also answers the gateway's own update, due after its third record.
        assertThat(s.next().headers()).containsEntry("in-reply-to", "evt-" + epoch);
      }
      assertThat(s.socket().isClosed()).isFalse();
    }
  }

  /**
   * Two agents' worth of handshake state with the same randomness and clock: the second is a
   * copy of the first's channel that does not take part in the key update, and so can seal a
   * record under the key the update retired.
   */
  @Test
  void aRecordUnderThePreUpdateKeyFailsAfterTheUpdate() throws Exception {
    TestAgent agent = TestAgent.register(gw(), Gateways.unique("oldkey"));
    long seed = new SecureRandom().nextLong();
    Clock clock = Clock.fixed(Instant.now(), ZoneOffset.UTC);
    ClientHandshake real = handshake(agent, seed, clock);
    ClientHandshake shadow = handshake(agent, seed, clock);
    try (AgentSocket socket = agent.socket()) {
      String m1 = real.clientHello();
      assertThat(shadow.clientHello()).isEqualTo(m1);
      socket.sendText(m1);
      String m2 = socket.nextText();
      String m3 = real.onServerHello(m2);
      assertThat(shadow.onServerHello(m2)).isEqualTo(m3);
      socket.sendText(m3);
      String sessionRecord = socket.nextText();
      SecureChannel ch = real.onSessionRecord(sessionRecord).channel();
      SecureChannel old = shadow.onSessionRecord(sessionRecord).channel();

      // The copy is faithful: its epoch-0 record #0 opens at the gateway (the real channel skips #0).
      sendEvent(old, socket, "evt-0");
      ch.seal("evt-0", "event", "events", new byte[] {'{', '}'});
      assertThat(ch.open(socket.nextText()).headers()).containsEntry("in-reply-to", "evt-0");

      // The real agent updates its key (epoch-0 #1), and the gateway confirms it moved along.
      socket.sendText(WireJson.encode(ch.sealKeyUpdate(true)));
      assertThat(ch.open(socket.nextText()).keyUpdate()).isTrue();

      // The copy's epoch-0 #1, sealed under the retired key, with the nonce the gateway now
      // expects (epoch 1, #0) so that only the key differs: refused.
      String late = WireJson.encode(old.seal("evt-late", "event", "events", new byte[] {'{', '}'}));
      String expectedNonce = WireJson.encode(ch.seal("evt-x", "event", "events", new byte[] {'{', '}'})).replaceAll(
          ".*\"nonce\":\"([^\"]+)\".*", "$1");
      ObjectNode m = (ObjectNode) new ObjectMapper().readTree(late);
      m.put("nonce", expectedNonce);
      socket.sendText(m.toString());
      AgentSocket.Closed closed = socket.awaitClose();
      assertThat(closed.code()).isEqualTo(4006);
    }
  }

  private static ClientHandshake handshake(TestAgent agent, long seed, Clock clock) {
    return new ClientHandshake(new ClientHandshake.Config(agent.agentId(), agent.key(),
        PinnedBackendKeys.of(agent.backendKey()), clock, new SeededRandom(seed), Protocol.DEFAULT_MAX_FRAME_BYTES));
  }

  /** Repeatable "randomness", so that two handshakes draw the same ephemeral key and nonce. */
  static final class SeededRandom extends SecureRandom {
    private final Random random;

    SeededRandom(long seed) {
      this.random = new Random(seed);
    }

    @Override
    public void nextBytes(byte[] bytes) {
      random.nextBytes(bytes);
    }
  }
}
