package io.aegis.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.aegis.agent.testing.Recorder;
import io.aegis.protocol.CloseCode.Reaction;
import io.aegis.protocol.IdentityKeyPair;
import io.aegis.server.testing.ApiClient;
import io.aegis.server.testing.StoreKind;
import io.aegis.server.testing.TestGateway;
import io.aegis.server.testing.Waits;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
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
 * The SDK against the real gateway ({@link TestGateway}: the server's WebSocket endpoint,
 * router and durable delivery on SQLite), agents registered through the REST API with the
 * operator token.
 */
class GatewayEndToEndTest {

  private static TestGateway gw;
  private static ApiClient operator;
  private static final AtomicInteger counter = new AtomicInteger();

  private final IdentityKeyPair key = IdentityKeyPair.generate(new SecureRandom());
  private final Recorder events = new Recorder();
  private final BlockingQueue<AgentMessage> handled = new LinkedBlockingQueue<>();
  private final List<AgentClient> clients = new CopyOnWriteArrayList<>();
  private String agentId;

  @TempDir
  Path dir;

  @BeforeAll
  static void startGateway() {
    // A short ack timeout so a redelivery happens within the test.
    gw = TestGateway.start(StoreKind.SQLITE, Map.of("AEGIS_ACK_TIMEOUT", "1s"));
    operator = gw.operator();
  }

  @AfterAll
  static void stopGateway() {
    gw.close();
  }

  @AfterEach
  void closeClients() {
    clients.forEach(AgentClient::close);
  }

  private String register() {
    agentId = "sdk-e2e-" + counter.incrementAndGet();
    ApiClient.Response r = operator.post("/api/v1/agents", Map.of("agent_id", agentId, "public_key",
        key.publicKey().base64()));
    assertThat(r.status()).as(r.toString()).isEqualTo(201);
    return agentId;
  }

  private AgentClientBuilder builder() {
    return AgentClient.builder()
        .backend(gw.baseUrl())
        .agentId(agentId)
        .identity(key)
        .backendKeys(gw.server().identity().publicKey().base64())
        .listener(events)
        .defaultHandler(handled::add)
        .reconnectBackoff(Duration.ofMillis(20), Duration.ofMillis(200))
        .longBackoff(Duration.ofSeconds(5), Duration.ofSeconds(10))
        .closeTimeout(Duration.ofSeconds(1));
  }

  private AgentClient connect(AgentClientBuilder b) throws InterruptedException {
    AgentClient c = b.build();
    clients.add(c);
    c.start();
    events.connected();
    return c;
  }

  private ApiClient.Response send(String channel, String type, String messageJson, String wait) throws Exception {
    Map<String, Object> body = new java.util.HashMap<>(Map.of("channel", channel, "message_type", type,
        "message", new com.fasterxml.jackson.databind.ObjectMapper().readTree(messageJson)));
    if (wait != null) {
      body.put("wait", wait);
    }
    return operator.post("/api/v1/agents/" + agentId + "/send", body);
  }

  private String statusOf(String messageId) {
    return operator.get("/api/v1/messages/" + messageId).json().path("status").asText();
  }

  @Test
  void theAgentConnectsAndTheGatewayShowsItConnected() throws Exception {
    register();
    AgentClient c = connect(builder());
    assertThat(c.state()).isEqualTo(AgentClient.State.CONNECTED);
    Awaitility.await().atMost(Waits.EVENT).until(() ->
        operator.get("/api/v1/agents/" + agentId + "/status").json().path("connected").asBoolean());
  }

  @Test
  void aMessageSentThroughTheApiArrivesVerifiedOnceAndIsMarkedDelivered() throws Exception {
    register();
    connect(builder());
    ApiClient.Response r = send("commands", "event", "{\"run\":\"scan\"}", null);
    assertThat(r.status()).as(r.toString()).isEqualTo(202);
    String id = r.json().path("message_id").asText();
    AgentMessage m = handled.poll(Waits.EVENT.toSeconds(), TimeUnit.SECONDS);
    assertThat(m).isNotNull();
    assertThat(m.id()).isEqualTo(id);
    assertThat(m.channel()).isEqualTo("commands");
    assertThat(m.json().path("run").asText()).isEqualTo("scan");
    Awaitility.await().atMost(Waits.EVENT).until(() -> statusOf(id).equals("delivered"));
    assertThat(handled.poll(300, TimeUnit.MILLISECONDS)).isNull();
  }

  @Test
  void aMessageQueuedWhileTheAgentWasOfflineArrivesWhenItConnects() throws Exception {
    register();
    ApiClient.Response r = send("commands", "event", "{\"n\":1}", null);
    assertThat(r.json().path("status").asText()).isEqualTo("queued");
    connect(builder());
    assertThat(handled.poll(Waits.EVENT.toSeconds(), TimeUnit.SECONDS).id()).isEqualTo(r.json().path("message_id").asText());
  }

  @Test
  void aRequestIsAnsweredAndTheOperatorGetsTheAnswer() throws Exception {
    register();
    connect(builder().onMessage("inventory", m -> m.reply(
        new com.fasterxml.jackson.databind.ObjectMapper().readTree("{\"packages\":42}"))));
    ApiClient.Response r = send("inventory", "request", "{}", "10s");
    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    assertThat(r.json().path("status").asText()).isEqualTo("delivered");
    assertThat(r.json().path("response").path("packages").asInt()).isEqualTo(42);
  }

  @Test
  void aMessageOnAChannelTheAgentDoesNotHandleEndsFailedWithTheReason() throws Exception {
    register();
    connect(AgentClient.builder()
        .backend(gw.baseUrl())
        .agentId(agentId)
        .identity(key)
        .backendKeys(gw.server().identity().publicKey().base64())
        .listener(events)
        .onMessage("commands", handled::add)); // and no default handler
    String id = send("inventory", "event", "{}", null).json().path("message_id").asText();
    Awaitility.await().atMost(60, TimeUnit.SECONDS).until(() -> statusOf(id).equals("failed"));
    JsonNode message = operator.get("/api/v1/messages/" + id).json();
    assertThat(message.path("error").asText()).as(message.toString()).contains("no_handler");
    RejectedMessage rejected = events.rejected();
    while (!rejected.id().equals(id)) { // a policy push on connect, say, is refused the same way
      rejected = events.rejected();
    }
    assertThat(rejected.reason()).isEqualTo("no_handler");
    assertThat(handled).isEmpty();
  }

  @Test
  void aSlowHandlerSeesARedeliveredMessageOnce() throws Exception {
    register();
    AtomicInteger calls = new AtomicInteger();
    connect(builder().onMessage("commands", m -> {
      calls.incrementAndGet();
      // Busy until the gateway, whose ack timeout (1 s) passed, has sent the message again (which
      // the SDK acknowledges without calling this handler a second time).
      Awaitility.await().atMost(Waits.EVENT).until(
          () -> operator.get("/api/v1/messages/" + m.id()).json().path("attempts").asInt() >= 2);
      handled.add(m);
    }));
    String id = send("commands", "event", "{}", null).json().path("message_id").asText();
    assertThat(handled.poll(Waits.EVENT.toSeconds(), TimeUnit.SECONDS)).isNotNull();
    Awaitility.await().atMost(Waits.EVENT).until(() -> statusOf(id).equals("delivered"));
    JsonNode message = operator.get("/api/v1/messages/" + id).json();
    assertThat(message.path("attempts").asInt()).as(message.toString()).isGreaterThanOrEqualTo(2);
    assertThat(calls.get()).isEqualTo(1);
  }

  @Test
  void eventsAreStoredAndTheSendCompletesOnTheGatewaysAck() throws Exception {
    register();
    AgentClient c = connect(builder());
    c.sendEvent("login", new com.fasterxml.jackson.databind.ObjectMapper().readTree("{\"user\":\"root\"}"))
        .get(Waits.EVENT.toSeconds(), TimeUnit.SECONDS);
    JsonNode stored = operator.get("/api/v1/agents/" + agentId + "/events").json();
    assertThat(stored.toString()).contains("login").contains("root");
  }

  @Test
  void thePolicyChannelAnswersARequest() throws Exception {
    register();
    AgentClient c = connect(builder());
    AgentMessage answer = c.request("policy", Json.object(), Duration.ofSeconds(10)).get(Waits.EVENT.toSeconds(), TimeUnit.SECONDS);
    assertThat(answer.type()).isEqualTo("response");
    assertThat(answer.json().has("policies")).as(answer.bodyText()).isTrue();
  }

  @Test
  void subscriptionsAreAcknowledgedAndAnUnknownChannelIsRefused() throws Exception {
    register();
    AgentClient c = connect(builder());
    c.subscribe("announcements").get(Waits.EVENT.toSeconds(), TimeUnit.SECONDS);
    CompletableFuture<Void> f = c.send("no-such-channel", "event", Json.object());
    try {
      f.get(Waits.EVENT.toSeconds(), TimeUnit.SECONDS);
      throw new AssertionError("an unknown channel was accepted");
    } catch (ExecutionException e) {
      assertThat(e.getCause()).isInstanceOfSatisfying(MessageRefusedException.class,
          x -> assertThat(x.code()).isEqualTo("unknown_channel"));
    }
  }

  @Test
  void deactivatingTheAgentRevokesItAndTheClientStopsForGood() throws Exception {
    register();
    AgentClient c = connect(builder());
    assertThat(operator.post("/api/v1/agents/" + agentId + "/deactivate", null).status()).isEqualTo(200);
    assertThat(events.disconnected().code()).isEqualTo(4003);
    assertThat(events.stopped()).isEqualTo(StopReason.REVOKED);
    assertThat(c.stopped().get(Waits.EVENT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(StopReason.REVOKED);
    events.expectNothing(Duration.ofSeconds(1));
  }

  @Test
  void aSecondInstanceOfTheAgentReplacesTheFirst() throws Exception {
    register();
    AgentClient first = connect(builder());
    Recorder secondEvents = new Recorder();
    AgentClient second = builder().listener(secondEvents).build();
    clients.add(second);
    second.start();
    secondEvents.connected();
    assertThat(events.disconnected().code()).isEqualTo(4004);
    assertThat(events.stopped()).isEqualTo(StopReason.REPLACED);
    assertThat(first.state()).isEqualTo(AgentClient.State.STOPPED);
    assertThat(second.state()).isEqualTo(AgentClient.State.CONNECTED);
  }

  @Test
  void anUnregisteredAgentIsRefusedBeforeTheUpgradeAndBacksOffLong() throws Exception {
    agentId = "sdk-e2e-unknown-" + counter.incrementAndGet();
    AgentClient c = builder().build();
    clients.add(c);
    c.start();
    Recorder.Disconnected d = events.disconnected();
    assertThat(d.reason()).contains("HTTP 401");
    assertThat(events.reconnecting().reaction()).isEqualTo(Reaction.RECONNECT_BACKOFF_LONG);
  }

  @Test
  void aRestartedAgentWithADedupFileDoesNotRunADeliveredCommandAgain() throws Exception {
    register();
    Path file = dir.resolve("delivered.ids");
    // The first run handles the command but dies before acknowledging it (the ack is never sent).
    CompletableFuture<Void> release = new CompletableFuture<>();
    AgentClient first = connect(builder().dedupFile(file).onMessage("commands", m -> {
      handled.add(m);
      release.get();
    }));
    String id = send("commands", "event", "{}", null).json().path("message_id").asText();
    assertThat(handled.poll(Waits.EVENT.toSeconds(), TimeUnit.SECONDS).id()).isEqualTo(id);
    first.close();
    release.complete(null);
    events.disconnected();
    events.stopped();
    // The second run gets the redelivery, acknowledges it without running it again.
    connect(builder().dedupFile(file));
    Awaitility.await().atMost(Waits.EVENT).until(() -> statusOf(id).equals("delivered"));
    assertThat(handled.poll(300, TimeUnit.MILLISECONDS)).isNull();
  }
}
