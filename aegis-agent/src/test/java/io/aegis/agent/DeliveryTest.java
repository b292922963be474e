package io.aegis.agent;

import static io.aegis.agent.AgentClientTest.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.aegis.agent.testing.GatewaySession;
import io.aegis.agent.testing.ScriptedGateway;
import io.aegis.agent.testing.TestAgent;
import io.aegis.protocol.IdentityKeyPair;
import io.aegis.protocol.MessageTypes;
import io.aegis.protocol.record.OpenedRecord;
import io.aegis.protocol.record.SignedBlock;
import io.aegis.protocol.record.SignedCommand;
import io.aegis.protocol.record.VerificationResult;
import io.aegis.server.testing.Waits;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Backend → agent: verification, de-duplication, acknowledgements, handlers. */
class DeliveryTest {

  private final TestAgent agent = new TestAgent();
  private final ScriptedGateway gateway = agent.gateway();
  private final BlockingQueue<AgentMessage> handled = new LinkedBlockingQueue<>();
  private AgentClient client;

  @TempDir
  Path dir;

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
    return connect(agent.builder(gateway).defaultHandler(handled::add));
  }

  private SignedCommand command(String id, String channel, String body) {
    return gateway.signer().toAgent(TestAgent.ID, id, MessageTypes.EVENT, channel, System.currentTimeMillis() + 60_000,
        body.getBytes(StandardCharsets.UTF_8));
  }

  /** Ids acknowledged (delivered) in the next ack records, until {@code n} ids were seen. */
  private static List<String> ackedIds(GatewaySession s, int n) throws Exception {
    List<String> ids = new ArrayList<>();
    while (ids.size() < n) {
      JsonNode body = json(s.nextRecord(MessageTypes.ACK).bodyText());
      body.path("ids").forEach(id -> ids.add(id.asText()));
    }
    return ids;
  }

  @Test
  void aRedeliveredMessageIsAcknowledgedAgainButHandledOnce() throws Exception {
    GatewaySession s = connect();
    SignedCommand c = command("m-1", "commands", "{\"run\":1}");
    s.send(c, Map.of());
    assertThat(handled.poll(Waits.EVENT.toSeconds(), TimeUnit.SECONDS)).extracting(AgentMessage::id).isEqualTo("m-1");
    assertThat(ackedIds(s, 1)).containsExactly("m-1");
    s.send(c, Map.of()); // the gateway did not see the ack in time: at-least-once
    assertThat(ackedIds(s, 1)).containsExactly("m-1");
    assertThat(handled.poll(300, TimeUnit.MILLISECONDS)).isNull();
  }

  @Test
  void aMessageRedeliveredOnTheNextSessionIsNotHandledAgain() throws Exception {
    GatewaySession s = connect();
    SignedCommand c = command("m-1", "commands", "{}");
    s.send(c, Map.of());
    handled.poll(Waits.EVENT.toSeconds(), TimeUnit.SECONDS);
    ackedIds(s, 1);
    s.close(1001, "server shutting down");
    GatewaySession again = gateway.nextSession();
    again.send(c, Map.of());
    assertThat(ackedIds(again, 1)).containsExactly("m-1");
    assertThat(handled.poll(300, TimeUnit.MILLISECONDS)).isNull();
  }

  @Test
  void aRestartedAgentWithADedupFileDoesNotRunACommandAgain() throws Exception {
    Path file = dir.resolve("delivered.ids");
    GatewaySession s = connect(agent.builder(gateway).defaultHandler(handled::add).dedupFile(file));
    SignedCommand c = command("m-1", "commands", "{}");
    s.send(c, Map.of());
    assertThat(handled.poll(Waits.EVENT.toSeconds(), TimeUnit.SECONDS)).isNotNull();
    client.close();
    agent.recorder.disconnected();
    agent.recorder.stopped();
    // A new process: the verifier's seen-set is empty, the file is not.
    GatewaySession again = connect(agent.builder(gateway).defaultHandler(handled::add).dedupFile(file));
    again.send(c, Map.of());
    assertThat(ackedIds(again, 1)).containsExactly("m-1");
    assertThat(handled.poll(300, TimeUnit.MILLISECONDS)).isNull();
  }

  @Test
  void refusedMessagesAreAcknowledgedAsRejectedReportedAndNeverHandled() throws Exception {
    GatewaySession s = connect();
    IdentityKeyPair stranger = IdentityKeyPair.generate(new SecureRandom());
    long future = System.currentTimeMillis() + 60_000;
    JsonNode body = json("{\"rm\":\"-rf\"}");
    // signed by a key that is not pinned
    s.sendSigned(stranger, "m-unknown", "request", "commands", "agent:" + TestAgent.ID, future, body);
    // for another agent
    s.sendSigned(gateway.backendKey(), "m-other", "request", "commands", "agent:agent-2", future, body);
    // expired
    s.sendSigned(gateway.backendKey(), "m-expired", "request", "commands", "agent:" + TestAgent.ID,
        System.currentTimeMillis() - 1, body);
    // unsigned
    s.sendUnsigned("m-unsigned", "request", "commands", Map.of(), body);
    // the pinned key id with another key's signature
    SignedCommand forged = CommandSignerHelper.forge(gateway.backendKey(), stranger, "m-forged", "commands", future, body);
    s.send(forged, Map.of());

    Map<String, String> expected = Map.of("m-unknown", "unknown_signer", "m-other", "misaddressed",
        "m-expired", "expired", "m-unsigned", "unsigned", "m-forged", "bad_signature");
    Map<String, String> reported = new java.util.HashMap<>();
    for (int i = 0; i < expected.size(); i++) {
      RejectedMessage r = agent.recorder.rejected();
      reported.put(r.id(), r.reason());
    }
    assertThat(reported).isEqualTo(expected);
    Map<String, String> acked = new java.util.HashMap<>();
    while (acked.size() < expected.size()) {
      JsonNode ack = json(s.nextRecord(MessageTypes.ACK).bodyText());
      ack.path("ids").forEach(id -> assertThat(ack.path("rejected").has(id.asText())).isTrue());
      ack.path("rejected").fields().forEachRemaining(e -> acked.put(e.getKey(), e.getValue().asText()));
    }
    assertThat(acked).isEqualTo(expected);
    assertThat(handled.poll(200, TimeUnit.MILLISECONDS)).isNull();
  }

  @Test
  void aMessageOnAChannelWithNoHandlerIsRefusedWithTheReasonAndRefusedAgainWhenRedelivered() throws Exception {
    GatewaySession s = connect(agent.builder(gateway).onMessage("commands", handled::add));
    SignedCommand unhandled = command("m-nobody", "inventory", "{}");
    s.send(unhandled, Map.of());
    s.send(command("m-handled", "commands", "{}"), Map.of());

    RejectedMessage r = agent.recorder.rejected();
    assertThat(r.id()).isEqualTo("m-nobody");
    assertThat(r.channel()).isEqualTo("inventory");
    assertThat(r.reason()).isEqualTo("no_handler");
    assertThat(handled.poll(30, TimeUnit.SECONDS)).extracting(AgentMessage::id).isEqualTo("m-handled");
    Map<String, String> rejected = new java.util.HashMap<>();
    List<String> ids = new ArrayList<>();
    while (ids.size() < 2) {
      JsonNode ack = json(s.nextRecord(MessageTypes.ACK).bodyText());
      ack.path("ids").forEach(id -> ids.add(id.asText()));
      ack.path("rejected").fields().forEachRemaining(e -> rejected.put(e.getKey(), e.getValue().asText()));
    }
    assertThat(ids).containsExactlyInAnyOrder("m-nobody", "m-handled");
    assertThat(rejected).isEqualTo(Map.of("m-nobody", "no_handler"));

    // The gateway did not get that ack and sends it again: refused again, never "delivered".
    s.send(unhandled, Map.of());
    JsonNode again = json(s.nextRecord(MessageTypes.ACK).bodyText());
    assertThat(again.path("rejected").path("m-nobody").asText()).isEqualTo("no_handler");
  }

  @Test
  void aBroadcastIsDeliveredAndMarkedAsSuch() throws Exception {
    GatewaySession s = connect();
    s.send(gateway.signer().broadcast("b-1", "event", "announcements", 0, "{}".getBytes(StandardCharsets.UTF_8)),
        Map.of());
    AgentMessage m = handled.poll(Waits.EVENT.toSeconds(), TimeUnit.SECONDS);
    assertThat(m.isBroadcast()).isTrue();
    assertThat(m.expiresAt()).isEmpty();
    assertThat(ackedIds(s, 1)).containsExactly("b-1");
  }

  @Test
  void acksAreBatchedByTimeAndBySize() throws Exception {
    GatewaySession s = connect(agent.builder(gateway).defaultHandler(handled::add)
        .ackBatching(Duration.ofSeconds(2), 3));
    for (int i = 1; i <= 7; i++) {
      s.send(command("m-" + i, "commands", "{}"), Map.of());
    }
    List<List<String>> batches = new ArrayList<>();
    int total = 0;
    while (total < 7) {
      List<String> batch = new ArrayList<>();
      json(s.nextRecord(MessageTypes.ACK).bodyText()).path("ids").forEach(id -> batch.add(id.asText()));
      batches.add(batch);
      total += batch.size();
    }
    // Never more than 3 ids in a record, all in order, and the seventh went out although no
    // fourth id joined it: by time. (Normally [m-1..m-3], [m-4..m-6], [m-7]; a busy machine may
    // let the 2 s pass inside a batch and split it.)
    assertThat(batches).allSatisfy(b -> assertThat(b).hasSizeLessThanOrEqualTo(3));
    assertThat(batches.stream().flatMap(List::stream).toList())
        .containsExactly("m-1", "m-2", "m-3", "m-4", "m-5", "m-6", "m-7");
  }

  @Test
  void aFewAcksWithinTheDelayShareOneRecord() throws Exception {
    // A delay far longer than handling five messages takes, even on a busy machine.
    GatewaySession s = connect(agent.builder(gateway).defaultHandler(handled::add)
        .ackBatching(Duration.ofSeconds(3), 64));
    for (int i = 1; i <= 5; i++) {
      s.send(command("m-" + i, "commands", "{}"), Map.of());
    }
    assertThat(json(s.nextRecord(MessageTypes.ACK).bodyText()))
        .isEqualTo(json("{\"ids\":[\"m-1\",\"m-2\",\"m-3\",\"m-4\",\"m-5\"]}"));
  }

  @Test
  void aRequestIsAnsweredWithASignedResponseWhichAlsoAcknowledgesIt() throws Exception {
    GatewaySession s = connect(agent.builder(gateway).onMessage("inventory", m -> {
      assertThat(m.isRequest()).isTrue();
      m.reply(json("{\"packages\":42}"));
    }));
    s.sendCommand("req-1", MessageTypes.REQUEST, "inventory", json("{\"what\":\"packages\"}"));
    OpenedRecord response = s.nextRecord(MessageTypes.RESPONSE);
    assertThat(response.channel()).isEqualTo("inventory");
    assertThat(response.headers()).containsEntry("in-reply-to", "req-1");
    assertThat(json(response.bodyText())).isEqualTo(json("{\"packages\":42}"));
    assertThat(s.verifyAgentSignature(response)).isEqualTo(VerificationResult.ACCEPTED);
    s.expectNoRecord(Duration.ofMillis(200)); // no separate ack
  }

  @Test
  void replyIsOnlyForRequestsAndOnlyOnce() throws Exception {
    BlockingQueue<Throwable> problems = new LinkedBlockingQueue<>();
    GatewaySession s = connect(agent.builder(gateway).defaultHandler(m -> {
      if (!m.isRequest()) {
        try {
          m.reply(json("{}"));
        } catch (IllegalStateException e) {
          problems.add(e);
        }
        return;
      }
      m.reply(json("{}"));
      try {
        m.reply(json("{}"));
      } catch (IllegalStateException e) {
        problems.add(e);
      }
    }));
    s.sendCommand("e-1", MessageTypes.EVENT, "x", json("{}"));
    assertThat(problems.poll(Waits.EVENT.toSeconds(), TimeUnit.SECONDS)).hasMessageContaining("not a request");
    s.sendCommand("r-1", MessageTypes.REQUEST, "x", json("{}"));
    assertThat(problems.poll(Waits.EVENT.toSeconds(), TimeUnit.SECONDS)).hasMessageContaining("already answered");
  }

  @Test
  void aHandlerThatThrowsIsReportedAndItsMessageStillAcknowledged() throws Exception {
    GatewaySession s = connect(agent.builder(gateway).onMessage("commands", m -> {
      throw new IllegalStateException("disk full");
    }));
    s.sendCommand("m-1", MessageTypes.EVENT, "commands", json("{}"));
    assertThat(ackedIds(s, 1)).containsExactly("m-1");
    Throwable e = agent.recorder.errors().poll(Waits.EVENT.toSeconds(), TimeUnit.SECONDS);
    assertThat(e).hasMessageContaining("handler for channel commands failed on message m-1")
        .hasRootCauseMessage("disk full");
  }

  @Test
  void theDefaultExecutorKeepsTheGatewaysOrderAcrossChannels() throws Exception {
    List<String> order = new java.util.concurrent.CopyOnWriteArrayList<>();
    GatewaySession s = connect(agent.builder(gateway).defaultHandler(m -> order.add(m.id())));
    List<String> sent = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      String id = "m-" + i;
      sent.add(id);
      s.send(command(id, "ch" + (i % 3), "{}"), Map.of());
    }
    ackedIds(s, 30);
    assertThat(order).containsExactlyElementsOf(sent);
  }

  @Test
  void whenHandlersFallBehindReadingPausesAndNothingIsLost() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    List<String> order = new java.util.concurrent.CopyOnWriteArrayList<>();
    GatewaySession s = connect(agent.builder(gateway).maxPendingDeliveries(2).defaultHandler(m -> {
      release.await();
      order.add(m.id());
    }));
    List<String> sent = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      sent.add("m-" + i);
      s.send(command("m-" + i, "commands", "{}"), Map.of());
    }
    s.expectNoRecord(Duration.ofMillis(300));
    release.countDown();
    assertThat(ackedIds(s, 20)).containsExactlyElementsOf(sent);
    assertThat(order).containsExactlyElementsOf(sent);
  }

  /** Builds a command whose block names one key but carries another key's signature. */
  static final class CommandSignerHelper {
    static SignedCommand forge(IdentityKeyPair named, IdentityKeyPair actual, String id, String channel,
                               long expiresAt, JsonNode body) {
      byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
      SignedCommand real = io.aegis.protocol.record.CommandSigner.backend(actual)
          .toAgent(TestAgent.ID, id, "request", channel, expiresAt, bytes);
      SignedBlock b = real.block();
      return new SignedCommand(id, "request", channel, bytes,
          new SignedBlock(named.publicKey().keyId(), b.expiresAt(), b.audience(), b.signature()));
    }
  }
}
