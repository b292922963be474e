package io.aegis.bench.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.bench.gateway.GatewayClient;
import io.aegis.bench.gateway.Registrar;
import io.aegis.protocol.PinnedBackendKeys;
import io.aegis.server.testing.StoreKind;
import io.aegis.server.testing.TestGateway;
import io.aegis.server.testing.Waits;
import io.vertx.core.Vertx;
import java.net.URI;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Simulated agents against a real in-process gateway: register, handshake, receive, verify, ack, storm. */
class AgentFleetTest {
  private static final int N = 12;

  @TempDir
  Path work;

  private TestGateway gateway;
  private Vertx vertx;
  private GatewayClient api;
  private AgentFleet fleet;

  @BeforeEach
  void start() throws Exception {
    gateway = TestGateway.start(StoreKind.SQLITE, Map.of("AEGIS_HANDSHAKE_RATE_LIMIT", "0", "AEGIS_SESSION_RATE_LIMIT", "0"));
    vertx = Vertx.vertx();
    URI base = URI.create(gateway.baseUrl());
    api = new GatewayClient(vertx, base, TestGateway.OPERATOR_TOKEN, 8);
    KeyCache cache = KeyCache.open(work, base.toString(), "t");
    List<AgentIdentity> ids = cache.identities("t", N, new SecureRandom());
    Registrar registrar = new Registrar(api, 4, Map.of("bench", "t"));
    registrar.register(ids, cache).get(60, TimeUnit.SECONDS);
    assertThat(registrar.done.sum()).isEqualTo(N);
    fleet = new AgentFleet(new AgentFleet.Settings(List.of(base), "/ws/agent",
        PinnedBackendKeys.of(gateway.server().identity().publicKey()), true, List.of("127.0.0.2", "127.0.0.3"), 2,
        new Backoff(Duration.ofMillis(50), Duration.ofMillis(500)), true, Duration.ofSeconds(10), 1 << 20), ids);
  }

  @AfterEach
  void stop() {
    if (fleet != null) {
      fleet.close();
    }
    api.close();
    vertx.close().await();
    gateway.close();
  }

  @Test
  void agentsHandshakeReceiveVerifyAndAcknowledge() throws Exception {
    AtomicInteger received = new AtomicInteger();
    fleet.listener((agent, r, now) -> {
      if (r.channel().equals("bench") && BenchPayload.timestamp(r.body()) == 42) {
        received.incrementAndGet();
      }
    });
    fleet.connectAll(0, 4);
    assertThat(fleet.awaitOpen(N, Duration.ofSeconds(30))).isTrue();
    assertThat(fleet.stats().handshakeLatency.total().getTotalCount()).isEqualTo(N);

    String id = null;
    for (SimulatedAgent a : fleet.agents()) {
      GatewayClient.Response r = GatewayClient.await(api.post("/api/v1/agents/" + a.agentId() + "/send",
          "{\"channel\":\"bench\",\"message_type\":\"event\",\"message\":" + BenchPayload.create(64, 42) + "}"), 30, "send");
      assertThat(r.status()).isEqualTo(202);
      id = r.json().path("message_id").asText();
    }
    Awaitility.await().atMost(Waits.EVENT).until(() -> received.get() >= N);
    assertThat(received.get()).isEqualTo(N);
    assertThat(fleet.stats().verified.sum()).isGreaterThanOrEqualTo(N);
    assertThat(fleet.stats().refusedCount()).isZero();
    String last = id;
    Awaitility.await().atMost(Waits.EVENT).until(() -> GatewayClient.await(api.get("/api/v1/messages/" + last), 30,
        "get").json().path("status").asText().equals("delivered"));
  }

  @Test
  void abortedAgentsReconnect() throws Exception {
    fleet.connectAll(0, 4);
    assertThat(fleet.awaitOpen(N, Duration.ofSeconds(30))).isTrue();
    for (SimulatedAgent a : fleet.agents()) {
      a.abort();
    }
    Awaitility.await().atMost(Waits.EVENT).until(() -> fleet.stats().open.get() == 0);
    fleet.launcher().configure(0, 0);
    fleet.launcher().submitAll(fleet.agents());
    assertThat(fleet.awaitOpen(N, Duration.ofSeconds(30))).isTrue();
    assertThat(fleet.stats().handshakes.sum()).isEqualTo(2L * N);
  }
}
