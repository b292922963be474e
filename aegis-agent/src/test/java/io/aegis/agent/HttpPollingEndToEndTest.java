package io.aegis.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.aegis.agent.testing.Recorder;
import io.aegis.protocol.IdentityKeyPair;
import io.aegis.protocol.IdentityPublicKey;
import io.aegis.protocol.KeyFiles;
import io.aegis.server.testing.ApiClient;
import io.aegis.server.testing.StoreKind;
import io.aegis.server.testing.TestGateway;
import io.aegis.server.testing.Waits;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTTP-polling fallback against the real gateway ({@link TestGateway}, SQLite). The gateway
 * serves its agent WebSocket at another path than the one the SDK uses, so every upgrade is
 * refused (404, as a proxy or a misrouted path would) while the REST API works: the SDK falls
 * back to polling. One test then restarts the gateway, on the same store and port, with the
 * WebSocket where the SDK expects it, and the SDK returns to it.
 */
class HttpPollingEndToEndTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final AtomicInteger counter = new AtomicInteger();
  /** A short ack timeout, so that a redelivery happens within a test. */
  private static final Map<String, String> ENV = Map.of("WEBSOCKET_PATH", "/ws/not-here", "AEGIS_ACK_TIMEOUT", "1s");

  private static TestGateway gw;

  private final IdentityKeyPair key = IdentityKeyPair.generate(new SecureRandom());
  private final Recorder events = new Recorder();
  private final BlockingQueue<AgentMessage> handled = new LinkedBlockingQueue<>();
  private final List<AgentClient> clients = new CopyOnWriteArrayList<>();
  private final List<TestGateway> ownGateways = new CopyOnWriteArrayList<>();
  private String agentId;

  @BeforeAll
  static void startGateway() {
    gw = TestGateway.start(StoreKind.SQLITE, ENV);
  }

  @AfterAll
  static void stopGateway() {
    gw.close();
  }

  @AfterEach
  void closeClients() {
    clients.forEach(AgentClient::close);
    ownGateways.forEach(TestGateway::close);
  }

  private void register(TestGateway g) {
    agentId = "sdk-poll-" + counter.incrementAndGet();
    ApiClient.Response r = g.operator().post("/api/v1/agents", Map.of("agent_id", agentId, "public_key",
        key.publicKey().base64()));
    assertThat(r.status()).as(r.toString()).isEqualTo(201);
  }

  private AgentClientBuilder builder(TestGateway g) {
    return AgentClient.builder()
        .backend(g.baseUrl())
        .agentId(agentId)
        .identity(key)
        .backendKeys(g.server().identity().publicKey().base64())
        .listener(events)
        .defaultHandler(handled::add)
        .reconnectBackoff(Duration.ofMillis(20), Duration.ofMillis(200))
        .longBackoff(Duration.ofSeconds(5), Duration.ofSeconds(10))
        .closeTimeout(Duration.ofSeconds(1))
        .fallbackAfter(2)
        .pollWait(Duration.ofSeconds(2))
        .websocketProbeInterval(Duration.ofSeconds(1));
  }

  /** Starts the client and follows it onto HTTP polling: two refused upgrades, the switch, the session. */
  private AgentClient startPolling(TestGateway g, AgentClientBuilder b) throws InterruptedException {
    return startPolling(g, b, events);
  }

  /** As {@link #startPolling(TestGateway, AgentClientBuilder)}, for a client whose listener is {@code events}. */
  private AgentClient startPolling(TestGateway g, AgentClientBuilder b, Recorder events) throws InterruptedException {
    AgentClient c = b.listener(events).build();
    clients.add(c);
    c.start();
    assertThat(events.disconnected().reason()).isEqualTo("upgrade refused: HTTP 404");
    events.reconnecting();
    assertThat(events.disconnected().reason()).isEqualTo("upgrade refused: HTTP 404");
    assertThat(events.transportChanged()).isEqualTo(Transport.HTTP_POLLING);
    SessionInfo session = events.connected();
    assertThat(session.transport()).isEqualTo(Transport.HTTP_POLLING);
    assertThat(session.sessionId()).hasSize(32);
    assertThat(session.backendKeyId()).isEqualTo(g.server().identity().publicKey().keyIdHex());
    assertThat(c.transport()).isEqualTo(Transport.HTTP_POLLING);
    return c;
  }

  private ApiClient.Response send(TestGateway g, String channel, String type, String messageJson, String wait)
      throws Exception {
    Map<String, Object> body = new HashMap<>(Map.of("channel", channel, "message_type", type,
        "message", JSON.readTree(messageJson)));
    if (wait != null) {
      body.put("wait", wait);
    }
    return g.operator().post("/api/v1/agents/" + agentId + "/send", body);
  }

  private JsonNode message(TestGateway g, String messageId) {
    return g.operator().get("/api/v1/messages/" + messageId).json();
  }

  @Test
  void aMessageArrivesOverPollingOnceAndIsAcknowledged() throws Exception {
    register(gw);
    AgentClient c = startPolling(gw, builder(gw));
    ApiClient.Response r = send(gw, "commands", "event", "{\"run\":\"scan\"}", null);
    assertThat(r.status()).as(r.toString()).isEqualTo(202);
    String id = r.json().path("message_id").asText();
    AgentMessage m = handled.poll(Waits.EVENT.toSeconds(), TimeUnit.SECONDS);
    assertThat(m).isNotNull();
    assertThat(m.id()).isEqualTo(id);
    assertThat(m.channel()).isEqualTo("commands");
    assertThat(m.json().path("run").asText()).isEqualTo("scan");
    // The sealed ack went out in a post: delivered, and never handed to the application again.
    Awaitility.await().atMost(Waits.EVENT).until(() -> message(gw, id).path("status").asText().equals("delivered"));
    // (It may have been carried again if the ack came after the 1 s ack timeout on a busy
    // machine: at least once on the wire, once for the application.)
    assertThat(handled.poll(1500, TimeUnit.MILLISECONDS)).isNull();
    assertThat(c.state()).isEqualTo(AgentClient.State.CONNECTED);
    assertThat(c.transport()).isEqualTo(Transport.HTTP_POLLING);
  }

  @Test
  void aRedeliveredMessageReachesTheHandlerOnce() throws Exception {
    register(gw);
    AtomicInteger calls = new AtomicInteger();
    startPolling(gw, builder(gw).onMessage("commands", m -> {
      calls.incrementAndGet();
      // Busy until a later poll, after the 1 s ack timeout, has carried the message again (which
      // the SDK acknowledges without calling this handler a second time).
      Awaitility.await().atMost(Waits.EVENT).until(() -> message(gw, m.id()).path("attempts").asInt() >= 2);
      handled.add(m);
    }));
    String id = send(gw, "commands", "event", "{}", null).json().path("message_id").asText();
    assertThat(handled.poll(Waits.EVENT.toSeconds(), TimeUnit.SECONDS)).isNotNull();
    Awaitility.await().atMost(Waits.EVENT).until(() -> message(gw, id).path("status").asText().equals("delivered"));
    assertThat(message(gw, id).path("attempts").asInt()).isGreaterThanOrEqualTo(2);
    assertThat(handled.poll(500, TimeUnit.MILLISECONDS)).isNull();
    assertThat(calls.get()).isEqualTo(1);
  }

  @Test
  void aRequestSentWithWaitIsAnsweredThroughAPost() throws Exception {
    register(gw);
    startPolling(gw, builder(gw).onMessage("inventory", m -> m.reply(JSON.readTree("{\"packages\":42}"))));
    ApiClient.Response r = send(gw, "inventory", "request", "{}", "10s");
    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    assertThat(r.json().path("status").asText()).isEqualTo("delivered");
    assertThat(r.json().path("response").path("packages").asInt()).isEqualTo(42);
  }

  @Test
  void eventsRequestsAndSubscriptionsGoOutInPosts() throws Exception {
    register(gw);
    AgentClient c = startPolling(gw, builder(gw));
    c.sendEvent("login", JSON.readTree("{\"user\":\"root\"}")).get(Waits.EVENT.toSeconds(), TimeUnit.SECONDS);
    JsonNode stored = gw.operator().get("/api/v1/agents/" + agentId + "/events").json();
    assertThat(stored.path("events")).hasSize(1);
    assertThat(stored.toString()).contains("login").contains("root");

    AgentMessage policies = c.request("policy", Json.object(), Duration.ofSeconds(10)).get(Waits.EVENT.toSeconds(), TimeUnit.SECONDS);
    assertThat(policies.json().has("policies")).as(policies.bodyText()).isTrue();

    c.subscribe("announcements").get(Waits.EVENT.toSeconds(), TimeUnit.SECONDS);
    CompletableFuture<Void> refused = c.send("no-such-channel", "event", Json.object());
    try {
      refused.get(Waits.EVENT.toSeconds(), TimeUnit.SECONDS);
      throw new AssertionError("an unknown channel was accepted");
    } catch (ExecutionException e) {
      assertThat(e.getCause()).isInstanceOfSatisfying(MessageRefusedException.class,
          x -> assertThat(x.code()).isEqualTo("unknown_channel"));
    }
    // Many events at once: several posts, each acknowledged.
    List<CompletableFuture<Void>> sent = new java.util.ArrayList<>();
    for (int i = 0; i < 150; i++) {
      sent.add(c.sendEvent("tick", JSON.readTree("{\"n\":" + i + "}")));
    }
    CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(Waits.EVENT.toSeconds(), TimeUnit.SECONDS);
    assertThat(c.pendingMessages()).isZero();
  }

  @Test
  void deactivatedWhilePollingTheClientStopsAsRevoked() throws Exception {
    register(gw);
    AgentClient c = startPolling(gw, builder(gw));
    assertThat(gw.operator().post("/api/v1/agents/" + agentId + "/deactivate", null).status()).isEqualTo(200);
    // The waiting poll is answered 401 token_revoked at once: revoked, without a new authentication.
    assertThat(events.stopped()).isEqualTo(StopReason.REVOKED);
    assertThat(c.stopped().get(Waits.EVENT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(StopReason.REVOKED);
    assertThat(c.state()).isEqualTo(AgentClient.State.STOPPED);
    CompletableFuture<Void> late = c.sendEvent("after", Json.object());
    assertThat(late).failsWithin(Waits.EVENT).withThrowableOfType(ExecutionException.class)
        .havingCause().isInstanceOfSatisfying(AgentStoppedException.class,
            e -> assertThat(e.reason()).isEqualTo(StopReason.REVOKED));
  }

  @Test
  void theSessionIsRenewedBeforeItExpires() throws Exception {
    TestGateway g = own(Map.of("SESSION_TIMEOUT", "4s"));
    register(g);
    AgentClient c = startPolling(g, builder(g));
    // Renewed at 90% of its 4 s: a new HTTP session, without any failure in between.
    SessionInfo renewed = events.connected();
    assertThat(renewed.transport()).isEqualTo(Transport.HTTP_POLLING);
    String id = send(g, "commands", "event", "{}", null).json().path("message_id").asText();
    assertThat(handled.poll(Waits.EVENT.toSeconds(), TimeUnit.SECONDS).id()).isEqualTo(id);
    assertThat(c.transport()).isEqualTo(Transport.HTTP_POLLING);
  }

  @Test
  void itReturnsToTheWebSocketOnceItWorks() throws Exception {
    TestGateway g = own(Map.of());
    register(g);
    AgentClient c = startPolling(g, builder(g));
    String first = send(g, "commands", "event", "{\"n\":1}", null).json().path("message_id").asText();
    assertThat(handled.poll(Waits.EVENT.toSeconds(), TimeUnit.SECONDS).id()).isEqualTo(first);
    Awaitility.await().atMost(Waits.EVENT).until(() -> message(g, first).path("status").asText().equals("delivered"));

    // The operator fixes the gateway: the agent WebSocket is back at its default path (same store,
    // same port). The next probe's session takes over from polling.
    g.restart(Map.of("WEBSOCKET_PATH", ""));
    assertThat(events.transportChanged()).isEqualTo(Transport.WEBSOCKET);
    SessionInfo ws = events.connected();
    assertThat(ws.transport()).isEqualTo(Transport.WEBSOCKET);
    assertThat(c.transport()).isEqualTo(Transport.WEBSOCKET);
    assertThat(c.state()).isEqualTo(AgentClient.State.CONNECTED);
    Awaitility.await().atMost(Waits.EVENT).until(() ->
        g.operator().get("/api/v1/agents/" + agentId + "/status").json().path("connected").asBoolean());

    String second = send(g, "commands", "event", "{\"n\":2}", null).json().path("message_id").asText();
    assertThat(handled.poll(Waits.EVENT.toSeconds(), TimeUnit.SECONDS).id()).isEqualTo(second);
    Awaitility.await().atMost(Waits.EVENT).until(() -> message(g, second).path("status").asText().equals("delivered"));
    c.sendEvent("back", Json.object()).get(Waits.EVENT.toSeconds(), TimeUnit.SECONDS);
    assertThat(handled.poll(500, TimeUnit.MILLISECONDS)).isNull();
  }

  @Test
  void anotherInstanceOfTheAgentReplacesThisOne() throws Exception {
    register(gw);
    AgentClient first = startPolling(gw, builder(gw));
    BlockingQueue<AgentMessage> handledBySecond = new LinkedBlockingQueue<>();
    Recorder secondEvents = new Recorder();
    AgentClient second = startPolling(gw, builder(gw).defaultHandler(handledBySecond::add), secondEvents);
    // The second instance's session replaced the first's: its waiting poll got 409 replaced.
    assertThat(events.stopped()).isEqualTo(StopReason.REPLACED);
    assertThat(first.stopped().get(Waits.EVENT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(StopReason.REPLACED);
    String id = send(gw, "commands", "event", "{}", null).json().path("message_id").asText();
    assertThat(handledBySecond.poll(Waits.EVENT.toSeconds(), TimeUnit.SECONDS).id()).isEqualTo(id);
    assertThat(handled.poll(500, TimeUnit.MILLISECONDS)).isNull();
    assertThat(second.state()).isEqualTo(AgentClient.State.CONNECTED);
    secondEvents.expectNothing(Duration.ofMillis(500));
  }

  @Test
  void theNextBackendKeyReachesAPollingAgentAndItsNextSessionAsksForIt(@TempDir Path dir) throws Exception {
    IdentityKeyPair next = IdentityKeyPair.generate(new SecureRandom());
    Path nextFile = dir.resolve("next.pem");
    KeyFiles.writePrivateKey(nextFile, next, false);
    TestGateway g = own(Map.of("AUTH_NEXT_PRIVATE_KEY_PATH", nextFile.toString(), "SESSION_TIMEOUT", "4s"));
    register(g);
    IdentityPublicKey current = g.server().identity().publicKey();
    AgentClient c = startPolling(g, builder(g));
    // The first poll answer carries the announcement, signed by the current key: pinned first.
    assertThat(events.next(Recorder.KeyAnnounced.class).key()).isEqualTo(next.publicKey());
    assertThat(c.pinnedBackendKeys().current()).isEqualTo(next.publicKey());
    assertThat(c.pinnedBackendKeys().next()).isEqualTo(current);
    // The renewal asks for it, and the gateway, which holds it, signs with it.
    SessionInfo renewed = events.connected();
    assertThat(renewed.transport()).isEqualTo(Transport.HTTP_POLLING);
    assertThat(renewed.backendKeyId()).isEqualTo(next.publicKey().keyIdHex());
    String id = send(g, "commands", "event", "{}", null).json().path("message_id").asText();
    assertThat(handled.poll(Waits.EVENT.toSeconds(), TimeUnit.SECONDS).id()).isEqualTo(id);
  }

  /** A gateway of this test's own, on a fixed port so that a restart keeps the agent's URL. */
  private TestGateway own(Map<String, String> env) {
    Map<String, String> e = new HashMap<>(ENV);
    e.putAll(env);
    e.put("WEBSOCKET_PORT", Integer.toString(freePort()));
    TestGateway g = TestGateway.start(StoreKind.SQLITE, e);
    ownGateways.add(g);
    return g;
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
