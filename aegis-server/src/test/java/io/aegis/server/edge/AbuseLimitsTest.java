package io.aegis.server.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.aegis.server.testing.ApiClient;
import io.aegis.server.testing.Gateways;
import io.aegis.server.testing.RawWebSocket;
import io.aegis.server.testing.StoreKind;
import io.aegis.server.testing.TestAgent;
import io.aegis.server.testing.TestGateway;
import io.aegis.server.testing.Waits;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * One client cannot starve the gateway: connections that never finish a request are closed, one
 * address holds a bounded share of connections and handshakes, and failed authentications,
 * enrollments and operator requests are rate-limited per address or token with 429.
 */
class AbuseLimitsTest {

  /** A raw TCP connection to the gateway from {@code localAddress} (any 127.x.y.z on Linux). */
  private static Socket open(TestGateway gw, String localAddress) throws IOException {
    URI uri = URI.create(gw.baseUrl());
    Socket s = new Socket();
    s.bind(new InetSocketAddress(InetAddress.getByName(localAddress), 0));
    s.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), 5000);
    s.setSoTimeout((int) Waits.EVENT.toMillis());
    return s;
  }

  /** Whether the gateway closed {@code s}: a read sees the end of the stream (or a reset). */
  private static boolean closedByGateway(Socket s) {
    try {
      InputStream in = s.getInputStream();
      while (in.read() >= 0) {
        // an answer's bytes, if any; the close follows
      }
      return true;
    } catch (IOException e) {
      return !(e instanceof java.net.SocketTimeoutException);
    }
  }

  @Test
  void connectionsThatNeverFinishARequestAreClosed() throws Exception {
    try (TestGateway gw = TestGateway.start(StoreKind.SQLITE, Map.of("AEGIS_HTTP_HEADER_TIMEOUT", "1s",
        "AEGIS_HTTP_BODY_TIMEOUT", "1s", "AEGIS_MAX_POLL_WAIT", "1s", "AEGIS_MAX_SEND_WAIT", "1s",
        "AEGIS_HTTP_IDLE_TIMEOUT", "6s"))) {
      try (Socket idle = open(gw, "127.0.0.1");
           Socket halfLine = open(gw, "127.0.0.1");
           Socket slowBody = open(gw, "127.0.0.1");
           Socket keptAlive = open(gw, "127.0.0.1")) {
        halfLine.getOutputStream().write("GET /healthz HT".getBytes(StandardCharsets.US_ASCII));
        slowBody.getOutputStream().write(("POST /api/v1/auth HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + "Content-Length: 100\r\n\r\n{\"agent").getBytes(StandardCharsets.US_ASCII));
        OutputStream ka = keptAlive.getOutputStream();
        ka.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        byte[] answer = new byte[12];
        assertThat(keptAlive.getInputStream().readNBytes(answer, 0, 12)).isEqualTo(12);
        assertThat(new String(answer, StandardCharsets.US_ASCII)).isEqualTo("HTTP/1.1 200");

        assertThat(closedByGateway(idle)).as("an idle connection").isTrue();
        assertThat(closedByGateway(halfLine)).as("a half-sent request line").isTrue();
        assertThat(closedByGateway(slowBody)).as("a body that stopped").isTrue();
        assertThat(closedByGateway(keptAlive)).as("a kept-alive connection after its answer").isTrue();
      }
      // Headers sent a byte at a time never make a request head in time either.
      try (Socket trickle = open(gw, "127.0.0.1")) {
        OutputStream out = trickle.getOutputStream();
        Thread writer = Thread.ofVirtual().start(() -> {
          try {
            for (byte b : "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n"
                .getBytes(StandardCharsets.US_ASCII)) {
              out.write(b);
              out.flush();
              Thread.sleep(200);
            }
          } catch (IOException | InterruptedException e) {
            // closed under us: what the test expects
          }
        });
        assertThat(closedByGateway(trickle)).as("a header trickle").isTrue();
        writer.interrupt();
      }
      String metrics = gw.anonymous().get("/metrics").body();
      assertThat(metric(metrics, "aegis_connections_closed_by_guard_total", "reason=\"header_timeout\"")).isGreaterThanOrEqualTo(3);
      assertThat(metric(metrics, "aegis_connections_closed_by_guard_total", "reason=\"body_timeout\"")).isGreaterThanOrEqualTo(1);
    }
  }

  @Test
  void oneAddressHoldsABoundedNumberOfConnectionsAndOthersAreStillServed() throws Exception {
    try (TestGateway gw = TestGateway.start(StoreKind.SQLITE, Map.of("AEGIS_MAX_CONNECTIONS_PER_ADDRESS", "5",
        "AEGIS_HTTP_HEADER_TIMEOUT", "60s"))) {
      List<Socket> held = new ArrayList<>();
      try {
        for (int i = 0; i < 5; i++) {
          held.add(open(gw, "127.0.0.2"));
        }
        try (Socket sixth = open(gw, "127.0.0.2")) {
          assertThat(closedByGateway(sixth)).as("the sixth connection from one address").isTrue();
        }
        // Another address is served as usual.
        try (Socket other = open(gw, "127.0.0.3")) {
          other.getOutputStream().write("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
              .getBytes(StandardCharsets.US_ASCII));
          String answer = new String(other.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
          assertThat(answer).startsWith("HTTP/1.1 200");
        }
        assertThat(gw.anonymous().get("/healthz").status()).isEqualTo(200);
      } finally {
        for (Socket s : held) {
          s.close();
        }
      }
      // Closed connections give their places back.
      await().atMost(Waits.EVENT).until(() -> {
        try (Socket again = open(gw, "127.0.0.2")) {
          again.getOutputStream().write("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
              .getBytes(StandardCharsets.US_ASCII));
          return new String(again.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).startsWith("HTTP/1.1 200");
        } catch (IOException e) {
          return false;
        }
      });
    }
  }

  @Test
  void closedWebSocketSessionsGiveTheirPlacesBack() {
    // An upgraded connection is no longer the HTTP connection the guard counted: its place must
    // still be given back when the WebSocket closes, or an agent that reconnects often would, in
    // time, find its address full (and the guard would keep every upgrade request on the heap).
    try (TestGateway gw = TestGateway.start(StoreKind.SQLITE, Map.of("AEGIS_MAX_CONNECTIONS_PER_ADDRESS", "6"))) {
      TestAgent agent = TestAgent.register(gw, Gateways.unique("reconnects"));
      for (int i = 0; i < 15; i++) {
        try (TestAgent.Session s = agent.connect()) {
          String id = gw.operator().post("/api/v1/agents/" + agent.agentId() + "/send",
              Map.of("channel", "commands", "message", Map.of("n", i))).json().path("message_id").asText();
          assertThat(s.nextNonAck().id()).as("session %d", i).isEqualTo(id);
          s.ack(id);
        }
        await().atMost(Waits.EVENT).until(() -> !gw.operator().get("/api/v1/agents/" + agent.agentId() + "/status")
            .json().path("connected").asBoolean(true));
      }
    }
  }

  @Test
  void stalledHandshakesFromOneAddressDoNotKeepAnotherAgentOut() throws Exception {
    try (TestGateway gw = TestGateway.start(StoreKind.SQLITE, Map.of("AEGIS_TRUSTED_PROXIES", "127.0.0.1",
        "AEGIS_MAX_PENDING_HANDSHAKES_PER_ADDRESS", "3", "AEGIS_MAX_PENDING_HANDSHAKES", "5",
        "AEGIS_HANDSHAKE_TIMEOUT", "60s"))) {
      TestAgent victim = TestAgent.register(gw, Gateways.unique("victim"));
      // The attacker knows the victim's id and public key, and starts upgrades that never say hello.
      Map<String, String> attacker = new java.util.HashMap<>(victim.headers());
      attacker.put("X-Forwarded-For", "203.0.113.66");
      List<RawWebSocket> stalled = new ArrayList<>();
      try {
        for (int i = 0; i < 3; i++) {
          stalled.add(RawWebSocket.connect(gw.baseUrl(), "/ws/agent", attacker));
        }
        assertThatThrownBy(() -> RawWebSocket.connect(gw.baseUrl(), "/ws/agent", attacker))
            .hasMessageContaining("429");
        // The victim, from its own address, connects and works.
        try (TestAgent.Session s = victim.connect()) {
          String id = gw.operator().post("/api/v1/agents/" + victim.agentId() + "/send",
              Map.of("channel", "commands", "message", Map.of("run", 1))).json().path("message_id").asText();
          assertThat(s.nextNonAck().id()).isEqualTo(id);
        }
      } finally {
        stalled.forEach(RawWebSocket::close);
      }
    }
  }

  @Test
  void failedAuthenticationsAreLimitedPerAddress() throws Exception {
    try (TestGateway gw = TestGateway.start(StoreKind.SQLITE, Map.of("AEGIS_TRUSTED_PROXIES", "127.0.0.1",
        "AEGIS_AUTH_FAILURE_RATE_LIMIT", "1", "AEGIS_ENROLL_RATE_LIMIT", "1"))) {
      ApiClient guesser = gw.withToken("aegis_op_wrong-" + "x".repeat(40));
      Map<String, String> from = Map.of("X-Forwarded-For", "198.51.100.7");
      List<Integer> statuses = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        statuses.add(guesser.get("/api/v1/agents", from).status());
      }
      assertThat(statuses).startsWith(401, 401).contains(429);
      var limited = guesser.get("/api/v1/agents", from);
      assertThat(limited.status()).isEqualTo(429);
      assertThat(limited.header("Retry-After")).isNotNull();
      assertThat(limited.json().path("error").path("code").asText()).isEqualTo("rate_limited");
      // Even the right token is not heard from that address until its budget refills...
      assertThat(gw.operator().get("/api/v1/agents", from).status()).isEqualTo(429);
      // ...while every other address is.
      assertThat(gw.operator().get("/api/v1/agents", Map.of("X-Forwarded-For", "198.51.100.8")).status()).isEqualTo(200);
      assertThat(guesser.get("/api/v1/agents", Map.of("X-Forwarded-For", "198.51.100.9")).status()).isEqualTo(401);

      // Enrollment is limited per address too.
      List<Integer> enrolls = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        enrolls.add(gw.anonymous().send("POST", "/api/v1/enroll", Map.of("enrollment_token", "nope",
            "agent_id", "e-" + i, "public_key", "AAAA"), Map.of("X-Forwarded-For", "192.0.2." + (10))).status());
      }
      assertThat(enrolls).contains(429);

      String metrics = gw.anonymous().get("/metrics").body();
      assertThat(metric(metrics, "aegis_requests_refused_total", "reason=\"auth_failures\"")).isGreaterThan(0);
    }
  }

  @Test
  void anOperatorTokenIsLimitedToItsRate() {
    try (TestGateway gw = TestGateway.start(StoreKind.SQLITE, Map.of("AEGIS_OPERATOR_RATE_LIMIT", "1"))) {
      List<Integer> statuses = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        statuses.add(gw.operator().get("/api/v1/agents").status());
      }
      assertThat(statuses).startsWith(200, 200).contains(429);
      String metrics = gw.anonymous().get("/metrics").body();
      assertThat(metric(metrics, "aegis_requests_refused_total", "reason=\"operator_rate\"")).isGreaterThan(0);
    }
  }

  private static double metric(String metrics, String name, String label) {
    var m = Pattern.compile("(?m)^" + name + "\\{[^}]*" + Pattern.quote(label) + "[^}]*} (\\S+)").matcher(metrics);
    return m.find() ? Double.parseDouble(m.group(1)) : -1;
  }
}
