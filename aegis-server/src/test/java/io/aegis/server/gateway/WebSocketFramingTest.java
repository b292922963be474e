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

  @Test
  void aCloseCodeTheRfcLeavesUndefinedFailsTheConnectionInsteadOfBeingEchoed() {
    TestAgent agent = TestAgent.register(gw, Gateways.unique("closecode"));
    // 5000 and up passed Netty's decoder and came back echoed; 999 and 1005 never did.
    for (int code : new int[] {5000, 65535, 999, 1005}) {
      try (RawWebSocket ws = RawWebSocket.connect(gw.baseUrl(), "/ws/agent", agent.headers())) {
        ws.sendFrame(RawWebSocket.CLOSE, true, new byte[] {(byte) (code >> 8), (byte) code, 'x'});
        assertThat(ws.awaitClose(Waits.EVENT)).as("close code %d", code).isEqualTo(4006);
      }
    }
    // A valid code is answered as RFC 6455 section 5.5.1 says: with the same code.
    for (int code : new int[] {1000, 4000}) {
      try (RawWebSocket ws = RawWebSocket.connect(gw.baseUrl(), "/ws/agent", agent.headers())) {
        ws.sendFrame(RawWebSocket.CLOSE, true, new byte[] {(byte) (code >> 8), (byte) code});
        assertThat(ws.awaitClose(Waits.EVENT)).as("close code %d", code).isEqualTo(code);
      }
    }
  }

  @Test
  void anOpeningHandshakeOutsideRfc6455IsRefusedWithAJsonError() throws Exception {
    TestAgent agent = TestAgent.register(gw, Gateways.unique("upgrade"));
    String key = java.util.Base64.getEncoder().encodeToString(new byte[16]);
    assertThat(upgrade(agent, "HTTP/1.0", key, "13"))
        .startsWith("HTTP/1.0 400").contains("\"code\":\"bad_request\"").contains("HTTP/1.1");
    assertThat(upgrade(agent, "HTTP/1.1", "abc", "13"))
        .startsWith("HTTP/1.1 400").contains("\"code\":\"bad_request\"").contains("Sec-WebSocket-Key");
    for (String version : new String[] {"13,8", "8", ""}) {
      assertThat(upgrade(agent, "HTTP/1.1", key, version)).as("version '%s'", version)
          .startsWith("HTTP/1.1 426").containsIgnoringCase("sec-websocket-version: 13\r\n")
          .contains("\"code\":\"upgrade_required\"");
    }
    assertThat(upgrade(agent, "HTTP/1.1", key, "13")).startsWith("HTTP/1.1 101");
  }

  /** Sends one upgrade request as written and returns what the gateway answered (head and body). */
  private static String upgrade(TestAgent agent, String httpVersion, String key, String wsVersion) throws Exception {
    java.net.URI uri = java.net.URI.create(gw.baseUrl());
    try (java.net.Socket s = new java.net.Socket(uri.getHost(), uri.getPort())) {
      s.setSoTimeout((int) Waits.EVENT.toMillis());
      StringBuilder req = new StringBuilder("GET /ws/agent ").append(httpVersion).append("\r\n")
          .append("Host: ").append(uri.getHost()).append("\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n")
          .append("Sec-WebSocket-Key: ").append(key).append("\r\nSec-WebSocket-Version: ").append(wsVersion)
          .append("\r\n");
      agent.headers().forEach((k, v) -> req.append(k).append(": ").append(v).append("\r\n"));
      s.getOutputStream().write(req.append("\r\n").toString().getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
      java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
      byte[] buf = new byte[4096];
      // A refusal ends with its JSON body (the gateway closes or keeps the connection); a 101 ends its head.
      while (true) {
        String text = got.toString(java.nio.charset.StandardCharsets.ISO_8859_1);
        if (text.startsWith("HTTP/1.1 101") && text.contains("\r\n\r\n") || text.endsWith("}}")) {
          return text;
        }
        int n = s.getInputStream().read(buf);
        if (n < 0) {
          return text;
        }
        got.write(buf, 0, n);
      }
    }
  }
}
