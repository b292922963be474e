package io.aegis.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.protocol.WireJson;
import io.aegis.protocol.handshake.ClientHandshake;
import io.aegis.protocol.handshake.HandshakeException;
import io.aegis.protocol.record.OpenedRecord;
import io.aegis.protocol.record.RecordException;
import io.aegis.protocol.record.SecureChannel;
import io.aegis.protocol.testing.Hostile;
import io.aegis.server.testing.Gateways;
import io.aegis.server.testing.RawWebSocket;
import io.aegis.server.testing.StoreKind;
import io.aegis.server.testing.TestAgent;
import io.aegis.server.testing.TestGateway;
import io.aegis.server.testing.Waits;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A seeded, bounded fuzzer of the live protocol: sessions over real sockets, each given one hostile
 * step — a mutated {@code client_hello} or {@code client_auth}, a mutated sealed record, a
 * well-sealed record with a hostile body, or a frame that breaks RFC 6455 — and then a ping. The
 * gateway must answer each as documented: a close with a documented code (PROTOCOL.md §13), or a
 * record that opens and is never an {@code internal_error}, or nothing, with the connection still
 * answering the ping; and afterwards it must still serve an agent end to end. The seed and the
 * number of sessions are {@code -Daegis.fuzz.seed} and {@code -Daegis.fuzz.sessions} (200 by
 * default; {@code -Pfuzz} runs 20,000); a failure names its seed and session to replay.
 */
class LiveProtocolFuzzTest {
  /** What the gateway may close a fuzzed session with; 1006 is the TCP connection ending without one. */
  private static final Set<Integer> DOCUMENTED = Set.of(1002, 1006, 1007, 1009, 4001, 4006, 4007);
  private static final String[] BODIES = {
      "{\"ids\":[\"m-1\"]}", "{\"ids\":[\"m-1\"],\"rejected\":{\"m-1\":\"no_handler\"}}", "{\"channels\":[\"alerts\"]}",
      "{\"channels\":[\"alerts\",\"b\"]}", "{\"events\":[{\"type\":\"x\",\"data\":{\"a\":1}}]}", "{}"};
  private static final String[][] RECORDS = {
      {"ack", "control"}, {"subscribe", "control"}, {"unsubscribe", "control"}, {"event", "events"},
      {"request", "policy"}, {"response", "commands"}, {"command", "commands"}};

  private static TestGateway gw;
  private static TestAgent agent;

  @BeforeAll
  static void start() {
    gw = TestGateway.start(StoreKind.SQLITE, Map.of());
    agent = TestAgent.register(gw, Gateways.unique("livefuzz"));
  }

  @AfterAll
  static void stop() {
    gw.close();
  }

  @Test
  void everyHostileStepIsAnsweredAsDocumentedAndTheGatewayServesOnAfterwards() {
    long seed = Long.getLong("aegis.fuzz.seed", 20261206L);
    int sessions = Integer.getInteger("aegis.fuzz.sessions", 200);
    Map<String, Integer> outcomes = new TreeMap<>();
    for (int i = 0; i < sessions; i++) {
      long s = seed * 1_000_003L + i;
      String outcome;
      try {
        outcome = session(new Random(s), s);
      } catch (RuntimeException | AssertionError e) {
        throw new AssertionError("session " + i + " (replay: -Daegis.fuzz.seed=" + seed + ", session " + i + "): " + e, e);
      }
      outcomes.merge(outcome, 1, Integer::sum);
    }
    System.out.println("live protocol fuzz: " + sessions + " sessions, seed " + seed + ": " + outcomes);
    // The gateway still serves: a new session, a send, its delivery.
    try (TestAgent.Session session = agent.connect()) {
      String id = gw.operator().post("/api/v1/agents/" + agent.agentId() + "/send",
          Map.of("channel", "commands", "message", Map.of("after", "fuzz"))).json().path("message_id").asText();
      assertThat(session.nextNonAck().id()).isEqualTo(id);
    }
  }

  /** One session with one hostile step; returns what happened, for the tally. */
  private static String session(Random r, long seed) {
    int step = r.nextInt(5);
    try (RawWebSocket ws = RawWebSocket.connect(gw.baseUrl(), "/ws/agent", agent.headers())) {
      ClientHandshake hs = agent.newHandshake();
      String m1 = hs.clientHello();
      if (step == 0) {
        send(ws, Hostile.mutate(m1, seed));
        return "hello: " + answer(ws, null);
      }
      send(ws, m1);
      String m3 = hs.onServerHello(ws.nextText());
      if (step == 1) {
        send(ws, Hostile.mutate(m3, seed));
        return "auth: " + answer(ws, null);
      }
      send(ws, m3);
      SecureChannel channel = hs.onSessionRecord(ws.nextText()).channel();
      String[] kind = RECORDS[r.nextInt(RECORDS.length)];
      String body = BODIES[r.nextInt(BODIES.length)];
      switch (step) {
        case 2 -> send(ws, Hostile.mutate(seal(channel, kind, body), seed));
        case 3 -> send(ws, seal(channel, kind, Hostile.mutate(body, seed)));
        default -> {
          byte[] payload = new byte[r.nextInt(r.nextBoolean() ? 16 : 2000)];
          r.nextBytes(payload);
          int opcode = r.nextInt(16);
          if (opcode == RawWebSocket.CLOSE) {
            opcode = RawWebSocket.TEXT; // a valid close is answered with its own code: tested elsewhere
          }
          try {
            ws.sendFrame(opcode, r.nextInt(4) > 0, r.nextInt(4) == 0 ? r.nextInt(8) : 0, payload);
          } catch (UncheckedIOException e) {
            return "frame: closed early";
          }
        }
      }
      return new String[] {"", "", "record", "body", "frame"}[step] + ": " + answer(ws, channel);
    } catch (HandshakeException | RecordException e) {
      throw new AssertionError("a valid handshake step failed: " + e, e);
    }
  }

  private static String seal(SecureChannel channel, String[] kind, String body) throws RecordException {
    return WireJson.encode(channel.seal("fz-" + Long.toHexString(System.nanoTime()), kind[0], kind[1], Map.of(),
        body.getBytes(StandardCharsets.UTF_8)));
  }

  private static void send(RawWebSocket ws, String text) {
    try {
      ws.sendText(text);
    } catch (UncheckedIOException e) {
      // The gateway closed first (an earlier step of this session); the answer tells.
    }
  }

  /**
   * Reads what the gateway answers, then pings: a close must carry a documented code; a record
   * must open (after the handshake) and not be an internal error; otherwise the pong must come.
   */
  private static String answer(RawWebSocket ws, SecureChannel channel) {
    boolean pinged = false;
    boolean answered = false; // during the handshake: the gateway's next handshake frame came
    boolean ponged = false;
    long deadline = System.nanoTime() + Waits.EVENT.toNanos();
    while (System.nanoTime() < deadline) {
      RawWebSocket.Frame f = ws.nextFrame(pinged ? Waits.EVENT : Duration.ofMillis(50));
      if (f == null) {
        if (pinged) {
          break;
        }
        try {
          ws.sendFrame(RawWebSocket.PING, true, "fuzz".getBytes(StandardCharsets.UTF_8));
        } catch (UncheckedIOException e) {
          // closed: the close frame (or the end of the stream) is next
        }
        pinged = true;
        continue;
      }
      switch (f.opcode()) {
        case RawWebSocket.CLOSE -> {
          assertThat(DOCUMENTED).as("close code %d (%s)", f.closeCode(), f.text()).contains(f.closeCode());
          return "closed " + f.closeCode();
        }
        case RawWebSocket.PONG -> {
          // A pong comes from the socket layer at once; a handshake step is answered later (its
          // crypto runs on a worker), and silence would be a defect: wait for the answer.
          if (channel != null || answered) {
            return "alive";
          }
          ponged = true;
        }
        case RawWebSocket.TEXT -> {
          if (channel == null) {
            // Before the session: server_hello or the session record, or the one failure frame
            // (then the close follows).
            answered = true;
            if (ponged && !f.text().contains("\"success\":false")) {
              return "answered";
            }
            continue;
          }
          try {
            OpenedRecord rec = channel.open(f.text());
            if (rec.type().equals("error")) {
              assertThat(new String(rec.body(), StandardCharsets.UTF_8)).doesNotContain("internal_error");
            }
          } catch (RecordException e) {
            throw new AssertionError("a record from the gateway did not open: " + e.getMessage(), e);
          }
        }
        default -> throw new AssertionError("unexpected frame opcode " + f.opcode());
      }
    }
    throw new AssertionError("neither a close nor a pong within " + Waits.EVENT);
  }
}
