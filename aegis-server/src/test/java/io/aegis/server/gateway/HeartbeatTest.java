package io.aegis.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.protocol.handshake.ClientHandshake;
import io.aegis.server.testing.Gateways;
import io.aegis.server.testing.RawWebSocket;
import io.aegis.server.testing.StoreKind;
import io.aegis.server.testing.TestAgent;
import io.aegis.server.testing.TestGateway;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Heartbeats (pings every 200 ms, dead after 600 ms of silence) and WebSocket framing, through
 * a raw TCP client that never answers pings unless told to.
 */
class HeartbeatTest {
  static final Gateways gateways = new Gateways(Map.of(
      "AEGIS_HEARTBEAT_INTERVAL", "200ms", "AEGIS_HEARTBEAT_TIMEOUT", "600ms"));

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
    try (RawWebSocket ws = authenticated(agent)) {
      long start = System.nanoTime();
      assertThat(ws.awaitClose(Duration.ofSeconds(5))).isEqualTo(4008);
      // Silence counts from the last frame the gateway heard (M3, before the session record was stored and sent).
      Duration took = Duration.ofNanos(System.nanoTime() - start);
      assertThat(took).isBetween(Duration.ofMillis(300), Duration.ofSeconds(4));
      assertThat(ws.pingsIgnored()).isGreaterThanOrEqualTo(2);
    }
    assertThat(gw().server().gateway().connections().isConnected(agent.agentId())).isFalse();
  }

  @Test
  void aPeerThatAnswersPingsStaysConnected() throws Exception {
    // The JDK client answers pings by itself.
    try (TestAgent.Session s = TestAgent.register(gw(), Gateways.unique("alive")).connect()) {
      Thread.sleep(1500);
      assertThat(s.socket().isClosed()).isFalse();
      s.keyUpdateRoundTrip();
    }
  }

  @Test
  void aReservedOpcodeIsAProtocolViolation() throws Exception {
    try (RawWebSocket ws = authenticated(TestAgent.register(gw(), Gateways.unique("opcode")))) {
      ws.sendFrame(0x3, true, new byte[] {1});
      assertThat(ws.awaitClose(Duration.ofSeconds(3))).isEqualTo(4006);
    }
  }

  @Test
  void aFragmentedPingIsAProtocolViolation() throws Exception {
    try (RawWebSocket ws = authenticated(TestAgent.register(gw(), Gateways.unique("ctlfrag")))) {
      ws.sendFrame(RawWebSocket.PING, false, new byte[] {1});
      assertThat(ws.awaitClose(Duration.ofSeconds(3))).isEqualTo(4006);
    }
  }
}
