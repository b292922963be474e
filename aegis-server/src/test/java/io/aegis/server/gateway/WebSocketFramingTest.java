package io.aegis.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.protocol.handshake.ClientHandshake;
import io.aegis.server.testing.Gateways;
import io.aegis.server.testing.RawWebSocket;
import io.aegis.server.testing.StoreKind;
import io.aegis.server.testing.TestAgent;
import io.aegis.server.testing.TestGateway;
import io.aegis.server.testing.Waits;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** RFC 6455 framing rules the gateway enforces (found by a stateful protocol fuzzer). */
class WebSocketFramingTest {
  private static TestGateway gw;

  @BeforeAll
  static void start() {
    gw = TestGateway.start(StoreKind.SQLITE, Map.of());
  }

  @AfterAll
  static void stop() {
    gw.close();
  }

  @Test
  void aFrameWithReservedBitsSetFailsTheConnectionWithoutAnAnswer() {
    TestAgent agent = TestAgent.register(gw, Gateways.unique("rsv"));
    for (int rsv : new int[] {4, 2, 1}) {
      try (RawWebSocket ws = RawWebSocket.connect(gw.baseUrl(), "/ws/agent", agent.headers())) {
        ClientHandshake hs = agent.newHandshake();
        ws.sendFrame(RawWebSocket.TEXT, true, rsv, hs.clientHello().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        // No server_hello: the connection is failed (4006, protocol violation, or closed outright).
        RawWebSocket.Frame first = ws.nextFrame(Waits.EVENT);
        assertThat(first == null || first.opcode() == RawWebSocket.CLOSE).as("RSV %d answered", rsv).isTrue();
        if (first != null) {
          assertThat(first.closeCode()).isIn(1002, 4006);
        }
      }
    }
  }
}
