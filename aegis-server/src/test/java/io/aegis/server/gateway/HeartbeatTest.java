package io.aegis.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.protocol.handshake.ClientHandshake;
import io.aegis.server.testing.Gateways;
import io.aegis.server.testing.RawWebSocket;
import io.aegis.server.testing.StoreKind;
import io.aegis.server.testing.TestAgent;
import io.aegis.server.testing.TestGateway;
import io.aegis.server.testing.Waits;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Heartbeats (pings every 200 ms, dead after 600 ms of silence) and WebSocket framing, through
 * a raw TCP client that never answers pings unless told to.
 */
class HeartbeatTest {
  // A timeout many intervals long: a peer that answers pings is never late by that much, even on a
  // busy machine; a silent one is closed after it.
  static final Duration HEARTBEAT_TIMEOUT = Duration.ofSeconds(3);
  static final Gateways gateways = new Gateways(Map.of(
      "AEGIS_HEARTBEAT_INTERVAL", "250ms", "AEGIS_HEARTBEAT_TIMEOUT", HEARTBEAT_TIMEOUT.toMillis() + "ms"));

  @AfterAll
  static void stop() {
    gateways.close();
  }

  static TestGateway gw() {
    return gateways.get(StoreKind.SQLITE);
  }

  /** A raw socket that has completed the handshake. */
  static RawWebSocket authenticated(TestAgent agent) throws Exception {
    RawWebSocket ws = RawWebSocket.connect(gw().baseUrl(), "/ws/agent", agent.headers());
    ClientHandshake hs = agent.newHandshake();
    ws.sendText(hs.clientHello());
    ws.sendText(hs.onServerHello(ws.nextText()));
    hs.onSessionRecord(ws.nextText());
    return ws;
  }

  @Test
  void aPeerThatStopsAnsweringPingsIsClosedAtTheHeartbeatTimeout() throws Exception {
    TestAgent agent = TestAgent.register(gw(), Gateways.unique("silent"));
    long start = System.nanoTime();
    try (RawWebSocket ws = authenticated(agent)) {
      assertThat(ws.awaitClose(Waits.EVENT)).isEqualTo(4008);
      // Silence counts from the last frame the gateway heard (M3, sent after start): not before
      // the timeout; a busy machine only makes it later.
      Duration took = Duration.ofNanos(System.nanoTime() - start);
      assertThat(took).isGreaterThanOrEqualTo(HEARTBEAT_TIMEOUT);
      assertThat(ws.pingsIgnored()).isGreaterThanOrEqualTo(2);
    }
    assertThat(gw().server().gateway().connections().isConnected(agent.agentId())).isFalse();
  }

  @Test
  void aPeerThatAnswersPingsStaysConnected() throws Exception {
    // The JDK client answers pings by itself.
    try (TestAgent.Session s = TestAgent.register(gw(), Gateways.unique("alive")).connect()) {
      // Watching for a close that must not come, over more than one whole heartbeat timeout.
      Thread.sleep(HEARTBEAT_TIMEOUT.plusSeconds(1).toMillis());
      assertThat(s.socket().isClosed()).isFalse();
      s.keyUpdateRoundTrip();
    }
  }

  @Test
  void aReservedOpcodeIsAProtocolViolation() throws Exception {
    try (RawWebSocket ws = authenticated(TestAgent.register(gw(), Gateways.unique("opcode")))) {
      ws.sendFrame(0x3, true, new byte[] {1});
      assertThat(ws.awaitClose(Waits.EVENT)).isEqualTo(4006);
    }
  }

  @Test
  void aFragmentedPingIsAProtocolViolation() throws Exception {
    try (RawWebSocket ws = authenticated(TestAgent.register(gw(), Gateways.unique("ctlfrag")))) {
      ws.sendFrame(RawWebSocket.PING, false, new byte[] {1});
      assertThat(ws.awaitClose(Waits.EVENT)).isEqualTo(4006);
    }
  }
}
