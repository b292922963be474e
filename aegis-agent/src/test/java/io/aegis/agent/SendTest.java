package io.aegis.agent;

import static io.aegis.agent.AgentClientTest.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aegis.agent.testing.GatewaySession;
import io.aegis.agent.testing.ScriptedGateway;
import io.aegis.agent.testing.TestAgent;
import io.aegis.protocol.MessageTypes;
import io.aegis.protocol.record.OpenedRecord;
import io.aegis.protocol.record.VerificationResult;
import io.aegis.server.testing.Waits;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Agent → backend: signing, acknowledgement, refusal, bounds, requests, subscriptions, resends. */
class SendTest {

  private final TestAgent agent = new TestAgent();
  private final ScriptedGateway gateway = agent.gateway();
  private AgentClient client;

  @AfterEach
  void tearDown() {
    if (client != null) {
      client.close();
    }
    gateway.close();
  }

  private GatewaySession connect(AgentClientBuilder b) throws Exception {
    client = b.build().start();
    GatewaySession s = gateway.nextSession();
    agent.recorder.connected();
    return s;
  }

  private GatewaySession connect() throws Exception {
    return connect(agent.builder(gateway));
  }

  private static Throwable cause(CompletableFuture<?> f) {
    try {
      f.get(Waits.EVENT.toSeconds(), TimeUnit.SECONDS);
      throw new AssertionError("future completed normally");
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void aSendIsSignedAndCompletesOnTheGatewaysAck() throws Exception {
    GatewaySession s = connect();
    CompletableFuture<Void> f = client.send("telemetry", "event", json("{\"cpu\":0.5}"));
    OpenedRecord r = s.nextRecord(MessageTypes.EVENT);
    assertThat(r.channel()).isEqualTo("telemetry");
    assertThat(json(r.bodyText())).isEqualTo(json("{\"cpu\":0.5}"));
    assertThat(s.verifyAgentSignature(r)).isEqualTo(VerificationResult.ACCEPTED);
    assertThat(r.signed().audience()).isEqualTo("backend");
    Thread.sleep(100);
    assertThat(f).isNotDone();
    assertThat(client.pendingMessages()).isEqualTo(1);
    s.ack(r.id());
    f.get(Waits.EVENT.toSeconds(), TimeUnit.SECONDS);
    assertThat(client.pendingMessages()).isZero();
  }

  @Test
  void signingCanBeTurnedOff() throws Exception {
    GatewaySession s = connect(agent.builder(gateway).signMessages(false));
    client.send("telemetry", "event", json("{}"));
    assertThat(s.nextRecord(MessageTypes.EVENT).isSigned()).isFalse();
  }

  @Test
  void sendEventWrapsOneEventInTheEventStoreShape() throws Exception {
    GatewaySession s = connect();
    client.sendEvent("login", json("{\"user\":\"root\"}"));
    OpenedRecord r = s.nextRecord(MessageTypes.EVENT);
    assertThat(r.channel()).isEqualTo("events");
    var events = json(r.bodyText()).path("events");
    assertThat(events).hasSize(1);
    assertThat(events.get(0).path("type").asText()).isEqualTo("login");
    assertThat(events.get(0).path("timestamp").asLong()).isCloseTo(System.currentTimeMillis(),
        org.assertj.core.data.Offset.offset(60_000L));
    assertThat(events.get(0).path("body")).isEqualTo(json("{\"user\":\"root\"}"));
  }

  @Test
  void aGatewayErrorFailsTheSendWithItsCode() throws Exception {
    GatewaySession s = connect();
    CompletableFuture<Void> f = client.send("nowhere", "event", json("{}"));
    OpenedRecord r = s.nextRecord(MessageTypes.EVENT);
    s.error(r.id(), "unknown_channel", "no handler for channel nowhere");
    assertThat(cause(f)).isInstanceOfSatisfying(MessageRefusedException.class, e -> {
      assertThat(e.code()).isEqualTo("unknown_channel");
      assertThat(e.messageId()).isEqualTo(r.id());
      assertThat(e).hasMessageContaining("no handler for channel nowhere");
    });
    assertThat(client.pendingMessages()).isZero();
  }

  @Test
  void aFullOutboxFailsFastWithoutQueueing() throws Exception {
    client = agent.builder(gateway).outboxCapacity(2).build(); // not started: nothing leaves
    CompletableFuture<Void> a = client.send("events", "event", json("{}"));
    CompletableFuture<Void> b = client.send("events", "event", json("{}"));
    CompletableFuture<Void> c = client.send("events", "event", json("{}"));
    assertThat(c).isCompletedExceptionally();
    assertThat(cause(c)).isInstanceOf(OutboxFullException.class).hasMessageContaining("2 messages");
    assertThat(a).isNotDone();
    assertThat(b).isNotDone();
    assertThat(client.pendingMessages()).isEqualTo(2);
  }

  @Test
  void messagesSentBeforeStartAreDeliveredOnceConnected() throws Exception {
    client = agent.builder(gateway).build();
    CompletableFuture<Void> f = client.send("events", "event", json("{\"early\":true}"));
    client.start();
    GatewaySession s = gateway.nextSession();
    OpenedRecord r = s.nextRecord(MessageTypes.EVENT);
    assertThat(json(r.bodyText()).path("early").asBoolean()).isTrue();
    s.ack(r.id());
    f.get(Waits.EVENT.toSeconds(), TimeUnit.SECONDS);
  }

  @Test
  void unacknowledgedMessagesAreResentWithTheSameIdAfterAReconnect() throws Exception {
    GatewaySession s = connect();
    CompletableFuture<Void> first = client.send("events", "event", json("{\"n\":1}"));
    CompletableFuture<Void> second = client.send("events", "event", json("{\"n\":2}"));
    OpenedRecord r1 = s.nextRecord(MessageTypes.EVENT);
    OpenedRecord r2 = s.nextRecord(MessageTypes.EVENT);
    s.ack(r1.id());
    first.get(Waits.EVENT.toSeconds(), TimeUnit.SECONDS);
    s.close(1001, "server shutting down");
    GatewaySession again = gateway.nextSession();
    OpenedRecord resent = again.nextRecord(MessageTypes.EVENT);
    assertThat(resent.id()).isEqualTo(r2.id());
    assertThat(resent.bodyText()).isEqualTo(r2.bodyText());
    assertThat(again.verifyAgentSignature(resent)).isEqualTo(VerificationResult.ACCEPTED);
    again.expectNoRecord(Duration.ofMillis(200));
    again.ack(resent.id());
    second.get(Waits.EVENT.toSeconds(), TimeUnit.SECONDS);
  }

  @Test
  void theOutboxIsPacedBelowTheGatewaysRateLimit() throws Exception {
    GatewaySession s = connect(agent.builder(gateway).sendRate(20));
    long start = System.nanoTime();
    for (int i = 0; i < 60; i++) {
      client.send("events", "event", json("{\"n\":" + i + "}"));
    }
    for (int i = 0; i < 60; i++) {
      assertThat(json(s.nextRecord(MessageTypes.EVENT).bodyText()).path("n").asInt()).isEqualTo(i);
    }
    // 40 go at once (the burst), the other 20 at 20/s: about a second.
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThan(Duration.ofMillis(800));
  }

  @Test
  void aSendWithoutAckFailsAfterTheSendTimeout() throws Exception {
    GatewaySession s = connect(agent.builder(gateway).sendTimeout(Duration.ofMillis(300)));
    CompletableFuture<Void> f = client.send("events", "event", json("{}"));
    s.nextRecord(MessageTypes.EVENT);
    assertThat(cause(f)).isInstanceOf(TimeoutException.class).hasMessageContaining("no acknowledgement");
    assertThat(client.pendingMessages()).isZero();
  }

  @Test
  void aRequestCompletesWithTheGatewaysResponseNotItsAck() throws Exception {
    GatewaySession s = connect();
    CompletableFuture<AgentMessage> f = client.request("policy", json("{}"), Waits.EVENT);
    OpenedRecord req = s.nextRecord(MessageTypes.REQUEST);
    assertThat(req.channel()).isEqualTo("policy");
    assertThat(s.verifyAgentSignature(req)).isEqualTo(VerificationResult.ACCEPTED);
    s.ack(req.id());
    Thread.sleep(100);
    assertThat(f).isNotDone();
    s.respond(req, json("{\"policies\":[],\"etag\":\"x\"}"));
    AgentMessage response = f.get(Waits.EVENT.toSeconds(), TimeUnit.SECONDS);
    assertThat(response.type()).isEqualTo("response");
    assertThat(response.header("in-reply-to")).contains(req.id());
    assertThat(response.json().path("etag").asText()).isEqualTo("x");
    s.expectNoRecord(Duration.ofMillis(200)); // an answer to our request is not acknowledged
  }

  @Test
  void theAnswerToARequestMadeWithSendCompletesItAndGoesToTheHandler() throws Exception {
    java.util.concurrent.BlockingQueue<AgentMessage> handled = new java.util.concurrent.LinkedBlockingQueue<>();
    GatewaySession s = connect(agent.builder(gateway).onMessage("policy", handled::add));
    CompletableFuture<Void> f = client.send("policy", "request", json("{}"));
    OpenedRecord req = s.nextRecord(MessageTypes.REQUEST);
    s.sendUnsigned("answer-1", MessageTypes.RESPONSE, "policy", Map.of("in-reply-to", req.id()),
        json("{\"policies\":[]}"));
    f.get(Waits.EVENT.toSeconds(), TimeUnit.SECONDS);
    AgentMessage answer = handled.poll(Waits.EVENT.toSeconds(), TimeUnit.SECONDS);
    assertThat(answer.id()).isEqualTo("answer-1");
    assertThat(answer.isRequest()).isFalse();
    s.expectNoRecord(Duration.ofMillis(200)); // the gateway's own answers are not acknowledged
  }

  @Test
  void aLateUnsignedAnswerIsDroppedQuietly() throws Exception {
    GatewaySession s = connect();
    s.sendUnsigned("answer-1", MessageTypes.RESPONSE, "policy", Map.of("in-reply-to", "a-gone"), json("{}"));
    s.expectNoRecord(Duration.ofMillis(200));
    agent.recorder.expectNothing(Duration.ofMillis(100));
  }

  @Test
  void aSignedAnswerCameThroughTheQueueAndIsAcknowledged() throws Exception {
    GatewaySession s = connect();
    CompletableFuture<AgentMessage> f = client.request("inventory", json("{}"), Waits.EVENT);
    OpenedRecord req = s.nextRecord(MessageTypes.REQUEST);
    s.send(gateway.signer().toAgent(TestAgent.ID, "q-7", MessageTypes.RESPONSE, "inventory", 0,
        "{\"n\":1}".getBytes(java.nio.charset.StandardCharsets.UTF_8)), Map.of("in-reply-to", req.id()));
    assertThat(f.get(Waits.EVENT.toSeconds(), TimeUnit.SECONDS).json().path("n").asInt()).isEqualTo(1);
    assertThat(json(s.nextRecord(MessageTypes.ACK).bodyText())).isEqualTo(json("{\"ids\":[\"q-7\"]}"));
  }

  @Test
  void anUnansweredRequestTimesOut() throws Exception {
    GatewaySession s = connect();
    CompletableFuture<AgentMessage> f = client.request("artifacts", json("{\"since\":\"c1\"}"), Duration.ofMillis(300));
    assertThat(json(s.nextRecord(MessageTypes.REQUEST).bodyText()).path("since").asText()).isEqualTo("c1");
    assertThat(cause(f)).isInstanceOf(TimeoutException.class).hasMessageContaining("no response");
  }

  @Test
  void aRefusedRequestFailsWithTheGatewaysError() throws Exception {
    GatewaySession s = connect();
    CompletableFuture<AgentMessage> f = client.request("secrets", json("{}"), Waits.EVENT);
    s.error(s.nextRecord(MessageTypes.REQUEST).id(), "unknown_channel", "no such channel");
    assertThat(cause(f)).isInstanceOf(MessageRefusedException.class);
  }

  @Test
  void subscribeSendsAnUnsignedControlRecordAndCompletesOnAck() throws Exception {
    GatewaySession s = connect();
    CompletableFuture<Void> f = client.subscribe("policy", "commands");
    OpenedRecord r = s.nextRecord(MessageTypes.SUBSCRIBE);
    assertThat(r.channel()).isEqualTo("control");
    assertThat(r.isSigned()).isFalse();
    assertThat(json(r.bodyText())).isEqualTo(json("{\"channels\":[\"policy\",\"commands\"]}"));
    s.ack(r.id());
    f.get(Waits.EVENT.toSeconds(), TimeUnit.SECONDS);
    CompletableFuture<Void> u = client.unsubscribe("commands");
    OpenedRecord ur = s.nextRecord(MessageTypes.UNSUBSCRIBE);
    s.error(ur.id(), "not_subscribed", "agent is not subscribed to commands");
    assertThat(cause(u)).isInstanceOf(MessageRefusedException.class);
  }

  @Test
  void protocolNamesAreRefusedAsProgrammingErrors() throws Exception {
    client = agent.builder(gateway).build();
    assertThatThrownBy(() -> client.send("control", "event", json("{}"))).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("reserved");
    assertThatThrownBy(() -> client.send("events", "ack", json("{}"))).hasMessageContaining("reserved");
    assertThatThrownBy(() -> client.send("Bad Channel", "event", json("{}"))).hasMessageContaining("channel");
    assertThatThrownBy(() -> client.send("events", "event", json("{}"), Map.of("Bad Key", "v")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> client.request("policy", json("{}"), Duration.ZERO)).hasMessageContaining("positive");
    byte[] big = new byte[800_000];
    java.util.Arrays.fill(big, (byte) 'a');
    var node = com.fasterxml.jackson.databind.node.TextNode.valueOf(new String(big));
    assertThatThrownBy(() -> client.send("events", "event", node)).hasMessageContaining("does not fit in one frame");
  }

  @Test
  void closeFailsWhatIsLeftWithAgentStopped() throws Exception {
    connect();
    CompletableFuture<Void> f = client.send("events", "event", json("{}"));
    client.close();
    assertThat(cause(f)).isInstanceOfSatisfying(AgentStoppedException.class,
        e -> assertThat(e.reason()).isEqualTo(StopReason.CLOSED));
    assertThat(cause(client.send("events", "event", json("{}")))).isInstanceOf(AgentStoppedException.class);
    assertThat(client.stopped().get(Waits.EVENT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(StopReason.CLOSED);
  }

  @Test
  void closeWaitsForPendingAcknowledgements() throws Exception {
    GatewaySession s = connect(agent.builder(gateway).closeTimeout(Waits.EVENT));
    CompletableFuture<Void> f = client.send("events", "event", json("{}"));
    OpenedRecord r = s.nextRecord(MessageTypes.EVENT);
    Thread acker = new Thread(() -> {
      try {
        Thread.sleep(200); // most likely after close() began: it waits for this ack
        s.ack(r.id());
      } catch (InterruptedException ignored) {
        Thread.currentThread().interrupt();
      }
    });
    acker.start();
    client.close();
    f.get(Waits.EVENT.toSeconds(), TimeUnit.SECONDS);
    acker.join();
  }
}
