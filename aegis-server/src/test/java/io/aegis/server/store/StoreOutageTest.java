package io.aegis.server.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.aegis.protocol.record.OpenedRecord;
import io.aegis.server.testing.FaultProxy;
import io.aegis.server.testing.Gateways;
import io.aegis.server.testing.StoreKind;
import io.aegis.server.testing.TestAgent;
import io.aegis.server.testing.TestGateway;
import io.aegis.server.testing.TestPostgres;
import io.aegis.server.testing.Waits;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A node whose link to PostgreSQL breaks (through a {@link FaultProxy}): what agents did during
 * the outage is recorded when it ends, and a silent partition leaves the node able to serve again
 * soon after it heals.
 */
class StoreOutageTest {
  private String schema;
  private FaultProxy proxy;
  private TestGateway gw;

  @BeforeEach
  void start() {
    schema = TestPostgres.createSchema();
    proxy = new FaultProxy(TestPostgres.HOST, Integer.parseInt(TestPostgres.PORT));
    // The embedded-store kind only keeps the harness from making a schema of its own: the URL
    // below sends the node to PostgreSQL, through the proxy.
    gw = TestGateway.start(StoreKind.SQLITE, Map.of(
        "DATABASE_URL", TestPostgres.databaseUrl(schema, "127.0.0.1", proxy.port()),
        "AEGIS_DB_CONNECT_TIMEOUT", "2s",
        "AEGIS_DB_SOCKET_TIMEOUT", "3s",
        "AEGIS_ACK_TIMEOUT", "10m"));
  }

  @AfterEach
  void stop() {
    if (gw != null) {
      gw.close();
    }
    proxy.close();
    TestPostgres.dropSchema(schema);
  }

  @Test
  void anAcknowledgementMadeWhileTheStoreIsDownIsRecordedWhenItIsBack() throws Exception {
    TestAgent agent = TestAgent.register(gw, Gateways.unique("outage"));
    try (TestAgent.Session s = agent.connect()) {
      String id = gw.operator().post("/api/v1/agents/" + agent.agentId() + "/send",
          Map.of("channel", "commands", "message", Map.of("run", 1))).json().path("message_id").asText();
      OpenedRecord rec = s.nextNonAck();
      assertThat(rec.id()).isEqualTo(id);

      proxy.mode(FaultProxy.Mode.RESET);
      s.ack(id);
      // The node could not write the ack: it keeps it rather than drop it.
      await().atMost(Waits.EVENT).until(() -> metric("aegis_status_writes_pending") >= 1);

      proxy.mode(FaultProxy.Mode.PASS);
      await().atMost(Waits.EVENT).until(() ->
          gw.operator().get("/api/v1/messages/" + id).json().path("status").asText().equals("delivered"));
      assertThat(metric("aegis_status_writes_pending")).isZero();
    }
  }

  @Test
  void aNodeServesAgainSoonAfterASilentPartitionOfItsStoreHeals() throws Exception {
    TestAgent agent = TestAgent.register(gw, Gateways.unique("silent"));
    proxy.mode(FaultProxy.Mode.SILENT);
    // Packets to PostgreSQL vanish without a reset: the node finds out by itself and says so.
    await().atMost(Waits.EVENT).until(() -> gw.anonymous().get("/readyz").status() == 503);
    var lost = gw.operator().sendAsync("POST", "/api/v1/agents/" + agent.agentId() + "/send",
        Map.of("channel", "commands", "message", Map.of("run", "during")), Map.of());

    proxy.mode(FaultProxy.Mode.PASS);
    long healed = System.nanoTime();
    await().atMost(Waits.EVENT).until(() -> gw.anonymous().get("/readyz").status() == 200);
    try (TestAgent.Session s = agent.connect()) {
      String id = gw.operator().post("/api/v1/agents/" + agent.agentId() + "/send",
          Map.of("channel", "commands", "message", Map.of("run", "after"))).json().path("message_id").asText();
      // The message sent during the partition either failed with an answer or is delivered too.
      var during = lost.get(Waits.EVENT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
      boolean duringAccepted = during.status() == 202;
      assertThat(during.status()).isIn(202, 503, 504);
      // The two sends were in flight together (the first one's commit waited on a dead
      // connection), so either may reach the agent first: what counts is that both do.
      Set<String> expected = new HashSet<>(Set.of("{\"run\":\"after\"}"));
      if (duringAccepted) {
        expected.add("{\"run\":\"during\"}");
      }
      Set<String> received = new HashSet<>();
      String afterId = null;
      while (received.size() < expected.size()) {
        OpenedRecord r = s.nextNonAck();
        received.add(r.bodyText());
        if (r.bodyText().equals("{\"run\":\"after\"}")) {
          afterId = r.id();
        }
        s.ack(r.id());
      }
      assertThat(received).isEqualTo(expected);
      assertThat(afterId).isEqualTo(id);
    }
    // Generous for a busy machine; the node itself needs a few seconds (its socket timeout).
    assertThat(Duration.ofNanos(System.nanoTime() - healed)).isLessThan(Duration.ofSeconds(60));
  }

  @Test
  void aSendWhoseDeadlinePassedWhileTheStoreWasAwayIsNeverCommitted() throws Exception {
    TestAgent agent = TestAgent.register(gw, Gateways.unique("late"));
    String path = "/api/v1/agents/" + agent.agentId() + "/send";
    proxy.mode(FaultProxy.Mode.BLACKHOLE);
    // The first send holds the node's writer on a connection that no longer answers...
    var first = gw.operator().sendAsync("POST", path, Map.of("channel", "commands", "message", Map.of("n", 1)), Map.of());
    // ...and the second, with a 1 s deadline, waits behind it.
    var late = gw.operator().sendAsync("POST", path, Map.of("channel", "commands", "message", Map.of("n", 2)),
        Map.of("Request-Timeout", "1s"));
    // Past the late send's deadline for certain, however busy the machine (a lower bound, not a race).
    await().pollDelay(Duration.ofMillis(1500)).atMost(Waits.EVENT).until(() -> true);
    proxy.mode(FaultProxy.Mode.PASS);

    // Refused: past its deadline at the writer (504), or its reads failed with the link (503).
    var answer = late.get(Waits.EVENT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
    assertThat(answer.status()).as(answer.body()).isIn(503, 504);
    first.get(Waits.EVENT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
    // Whatever became of the first, the late one was never committed: not now, not later.
    var after = gw.operator().post(path, Map.of("channel", "commands", "message", Map.of("n", 3)));
    assertThat(after.status()).isEqualTo(202);
    var bodies = new java.util.ArrayList<String>();
    gw.operator().get("/api/v1/agents/" + agent.agentId() + "/messages").json().path("messages")
        .forEach(m -> bodies.add(m.path("message").toString()));
    assertThat(bodies).doesNotContain("{\"n\":2}").contains("{\"n\":3}");
  }

  private double metric(String name) {
    String text = gw.anonymous().get("/metrics").body();
    var m = Pattern.compile("(?m)^" + name + "(\\{[^}]*})? (\\S+)").matcher(text);
    return m.find() ? Double.parseDouble(m.group(2)) : -1;
  }
}
