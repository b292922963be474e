package io.aegis.agent.reference;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.aegis.agent.testing.GatewaySession;
import io.aegis.agent.testing.ScriptedGateway;
import io.aegis.agent.testing.TestAgent;
import io.aegis.protocol.MessageTypes;
import io.aegis.protocol.record.OpenedRecord;
import io.aegis.server.testing.Waits;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.PipedReader;
import java.io.PipedWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ReferenceAgentTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final TestAgent agent = new TestAgent();
  private final ScriptedGateway gateway = agent.gateway();
  private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
  private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
  private final PipedWriter stdinWriter = new PipedWriter();
  private final PrintWriter stdin = new PrintWriter(stdinWriter, true);
  private ReferenceAgent ref;
  private CompletableFuture<Integer> exit;

  @AfterEach
  void tearDown() {
    if (ref != null) {
      ref.close();
    }
    gateway.close();
  }

  private GatewaySession startAgent(List<String> subscribe) throws Exception {
    ref = new ReferenceAgent(agent.builder(gateway), new PrintStream(stdout, true, StandardCharsets.UTF_8),
        new PrintStream(stderr, true, StandardCharsets.UTF_8));
    ref.start(subscribe);
    BufferedReader in = new BufferedReader(new PipedReader(stdinWriter));
    exit = CompletableFuture.supplyAsync(() -> {
      try {
        return ref.run(in, false);
      } catch (InterruptedException e) {
        return -1;
      }
    });
    return gateway.nextSession();
  }

  private List<String> stdoutLines() {
    return stdout.toString(StandardCharsets.UTF_8).lines().toList();
  }

  private JsonNode nextStdoutLine(int index) throws Exception {
    Awaitility.await().atMost(Waits.EVENT).until(() -> stdoutLines().size() > index);
    return JSON.readTree(stdoutLines().get(index));
  }

  @Test
  void printsEachReceivedMessageAsOneJsonLineAndAcknowledgesIt() throws Exception {
    GatewaySession s = startAgent(List.of());
    s.sendCommand("m-1", MessageTypes.EVENT, "commands", JSON.readTree("{\"run\":\"scan\"}"));
    JsonNode line = nextStdoutLine(0);
    assertThat(line.path("id").asText()).isEqualTo("m-1");
    assertThat(line.path("type").asText()).isEqualTo("event");
    assertThat(line.path("channel").asText()).isEqualTo("commands");
    assertThat(line.path("headers").isObject()).isTrue();
    assertThat(line.path("body")).isEqualTo(JSON.readTree("{\"run\":\"scan\"}"));
    assertThat(Instant.parse(line.path("received_at").asText())).isBefore(Instant.now().plusSeconds(1));
    assertThat(JSON.readTree(s.nextRecord(MessageTypes.ACK).bodyText()).path("ids").get(0).asText()).isEqualTo("m-1");
    Awaitility.await().atMost(Waits.EVENT)
        .until(() -> stderr.toString(StandardCharsets.UTF_8).contains("aegis-agent: connected: session"));
  }

  @Test
  void subscribesAndSendsEachInputLine() throws Exception {
    GatewaySession s = startAgent(List.of("policy", "commands"));
    OpenedRecord sub = s.nextRecord(MessageTypes.SUBSCRIBE);
    assertThat(JSON.readTree(sub.bodyText())).isEqualTo(JSON.readTree("{\"channels\":[\"policy\",\"commands\"]}"));
    s.ack(sub.id());
    stdin.println("events {\"type\":\"login\",\"body\":{}}");
    OpenedRecord ev = s.nextRecord(MessageTypes.EVENT);
    assertThat(ev.channel()).isEqualTo("events");
    assertThat(JSON.readTree(ev.bodyText()).path("events").get(0).path("type").asText()).isEqualTo("login");
    stdin.println("not json at all");
    Awaitility.await().atMost(Waits.EVENT)
        .until(() -> stderr.toString(StandardCharsets.UTF_8).contains("line 2: "));
  }

  @Test
  void aRequestLinePrintsTheResponse() throws Exception {
    GatewaySession s = startAgent(List.of());
    stdin.println("policy:request {}");
    OpenedRecord req = s.nextRecord(MessageTypes.REQUEST);
    s.respond(req, JSON.readTree("{\"policies\":[]}"));
    JsonNode line = nextStdoutLine(0);
    assertThat(line.path("type").asText()).isEqualTo("response");
    assertThat(line.path("headers").path("in-reply-to").asText()).isEqualTo(req.id());
    assertThat(line.path("body")).isEqualTo(JSON.readTree("{\"policies\":[]}"));
  }

  @Test
  void replyAnswersAReceivedRequest() throws Exception {
    GatewaySession s = startAgent(List.of());
    s.sendCommand("req-9", MessageTypes.REQUEST, "inventory", JSON.readTree("{}"));
    nextStdoutLine(0);
    s.nextRecord(MessageTypes.ACK); // printed: the handler returned, so the request is acknowledged
    stdin.println(":reply req-9 {\"packages\":3}");
    OpenedRecord resp = s.nextRecord(MessageTypes.RESPONSE);
    assertThat(resp.headers()).containsEntry("in-reply-to", "req-9");
    assertThat(JSON.readTree(resp.bodyText())).isEqualTo(JSON.readTree("{\"packages\":3}"));
  }

  @Test
  void exitsWithThreeWhenRevoked() throws Exception {
    GatewaySession s = startAgent(List.of());
    s.close(4003, "revoked");
    assertThat(exit.get(Waits.EVENT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(ReferenceAgent.EXIT_REVOKED);
    assertThat(stderr.toString(StandardCharsets.UTF_8)).contains("stopped: revoked");
  }

  @Test
  void exitsWithFourWhenReplaced() throws Exception {
    GatewaySession s = startAgent(List.of());
    s.close(4004, "replaced");
    assertThat(exit.get(Waits.EVENT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(ReferenceAgent.EXIT_REPLACED);
  }

  @Test
  void withExitOnEofItStopsOnceWhatItSentIsAcknowledged() throws Exception {
    ref = new ReferenceAgent(agent.builder(gateway), new PrintStream(stdout, true, StandardCharsets.UTF_8),
        new PrintStream(stderr, true, StandardCharsets.UTF_8));
    ref.start(List.of());
    GatewaySession s = gateway.nextSession();
    BufferedReader in = new BufferedReader(new java.io.StringReader("audit {\"x\":1}\n"));
    CompletableFuture<Integer> code = CompletableFuture.supplyAsync(() -> {
      try {
        return ref.run(in, true);
      } catch (InterruptedException e) {
        return -1;
      }
    });
    OpenedRecord r = s.nextRecord(MessageTypes.EVENT);
    Thread.sleep(200);
    assertThat(code).isNotDone();
    s.ack(r.id());
    assertThat(code.get(Waits.EVENT.toSeconds(), TimeUnit.SECONDS)).isZero();
  }
}
