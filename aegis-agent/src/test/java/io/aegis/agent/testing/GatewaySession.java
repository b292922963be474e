package io.aegis.agent.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.aegis.protocol.IdentityKeyPair;
import io.aegis.protocol.MessageTypes;
import io.aegis.protocol.Protocol;
import io.aegis.protocol.SecureMessage;
import io.aegis.protocol.WireJson;
import io.aegis.protocol.handshake.HandshakeException;
import io.aegis.protocol.handshake.ServerHandshake;
import io.aegis.protocol.record.AgentMessageVerifier;
import io.aegis.protocol.record.CommandSigner;
import io.aegis.protocol.record.OpenedRecord;
import io.aegis.protocol.record.RecordException;
import io.aegis.protocol.record.SecureChannel;
import io.aegis.protocol.record.SignedCommand;
import io.aegis.protocol.record.VerificationResult;
import io.aegis.server.testing.Waits;
import io.vertx.core.Context;
import io.vertx.core.http.ServerWebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One agent connection to the {@link ScriptedGateway}, gateway side. Protocol state lives on the
 * connection's Vert.x context; the test thread's calls run there and wait. Key updates from the
 * agent are applied (and answered when asked for) and counted; every other record the agent
 * sends is queued for {@link #nextRecord()}.
 */
public final class GatewaySession {

  private static final ObjectMapper JSON = new ObjectMapper();

  private enum Stage { EXPECT_HELLO, EXPECT_AUTH, OPEN, FAILED }

  private final ScriptedGateway gateway;
  private final ServerWebSocket ws;
  private final Context context;
  private final ServerHandshake handshake;
  private final BlockingQueue<OpenedRecord> records = new LinkedBlockingQueue<>();
  private final CompletableFuture<Void> established = new CompletableFuture<>();
  private final CompletableFuture<Short> closed = new CompletableFuture<>();
  private final AtomicInteger agentKeyUpdates = new AtomicInteger();
  private Stage stage = Stage.EXPECT_HELLO;
  private SecureChannel channel;
  private int counter;

  GatewaySession(ScriptedGateway gateway, ServerWebSocket ws, Context context) {
    this.gateway = gateway;
    this.ws = ws;
    this.context = context;
    this.handshake = gateway.newHandshake();
    ws.textMessageHandler(this::onText);
    ws.closeHandler(v -> closed.complete(ws.closeStatusCode() == null ? (short) 1006 : ws.closeStatusCode()));
    ws.exceptionHandler(e -> { });
  }

  private void onText(String frame) {
    try {
      switch (stage) {
        case EXPECT_HELLO -> {
          switch (gateway.mode()) {
            case SILENT -> { }
            case FAIL -> {
              stage = Stage.FAILED;
              ws.writeTextMessage(ServerHandshake.FAILURE_FRAME);
              ws.close((short) 4001, "authentication failed");
            }
            case NORMAL -> {
              String m2 = handshake.onClientHello(frame,
                  id -> id.equals(gateway.agentId()) ? gateway.agentKey() : null);
              stage = Stage.EXPECT_AUTH;
              ws.writeTextMessage(m2);
            }
          }
        }
        case EXPECT_AUTH -> {
          ServerHandshake.Established est = handshake.onClientAuth(frame);
          channel = est.channel();
          stage = Stage.OPEN;
          ws.writeTextMessage(est.sessionRecord("token-" + System.nanoTime(),
              System.currentTimeMillis() / 1000 + 3600));
          established.complete(null);
        }
        case OPEN -> {
          OpenedRecord r = channel.open(frame);
          if (r.keyUpdate()) {
            agentKeyUpdates.incrementAndGet();
          } else {
            records.add(r);
          }
          if (channel.keyUpdateOwed()) {
            write(channel.sealKeyUpdate(false));
          }
        }
        case FAILED -> { }
      }
    } catch (HandshakeException e) {
      stage = Stage.FAILED;
      established.completeExceptionally(e);
      ws.writeTextMessage(ServerHandshake.FAILURE_FRAME);
      ws.close((short) 4001, "authentication failed");
    } catch (RecordException e) {
      stage = Stage.FAILED;
      ws.close((short) 4006, "protocol violation");
    }
  }

  private void write(SecureMessage m) {
    ws.writeTextMessage(WireJson.encode(m));
  }

  private <T> T onContext(Callable<T> call) {
    CompletableFuture<T> f = new CompletableFuture<>();
    context.runOnContext(v -> {
      try {
        f.complete(call.call());
      } catch (Throwable t) {
        f.completeExceptionally(t);
      }
    });
    try {
      return f.get(Waits.EVENT.toSeconds(), TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("gateway action failed: " + e.getMessage(), e);
    }
  }

  void awaitEstablished() {
    try {
      established.get(Waits.EVENT.toSeconds(), TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("handshake did not complete: " + e.getMessage(), e);
    }
  }

  // ------------------------------------------------------------------ gateway → agent

  /** A command to this agent (audience {@code agent:<id>}, expiring in a minute), signed by the backend key. */
  public void sendCommand(String id, String type, String channel, JsonNode body) {
    send(gateway.signer().toAgent(gateway.agentId(), id, type, channel,
        System.currentTimeMillis() + 60_000, bytes(body)), Map.of());
  }

  /** A signed message with explicit audience, expiry and signing key (for the refusal tests). */
  public void sendSigned(IdentityKeyPair key, String id, String type, String channel, String audience, long expiresAt,
                         JsonNode body) {
    send(CommandSigner.backend(key).sign(id, type, channel, audience, expiresAt, bytes(body)), Map.of());
  }

  /** Seals a signed command (the same one may be sent again: a redelivery). */
  public void send(SignedCommand command, Map<String, String> headers) {
    onContext(() -> {
      write(channel.seal(command, headers));
      return null;
    });
  }

  /** An unsigned record. */
  public void sendUnsigned(String id, String type, String channelName, Map<String, String> headers, JsonNode body) {
    onContext(() -> {
      write(channel.seal(id, type, channelName, headers, bytes(body)));
      return null;
    });
  }

  /** Acknowledges agent messages: {@code ack} on {@code control}, {@code {"ids":[...]}}. */
  public void ack(String... ids) {
    ObjectNode body = JSON.createObjectNode();
    var a = body.putArray("ids");
    for (String id : ids) {
      a.add(id);
    }
    sendUnsigned(nextId(), MessageTypes.ACK, Protocol.CONTROL_CHANNEL, Map.of(), body);
  }

  /** Refuses an agent message: {@code error} with {@code in-reply-to}. */
  public void error(String inReplyTo, String code, String message) {
    ObjectNode body = JSON.createObjectNode().put("code", code).put("message", message);
    sendUnsigned(nextId(), MessageTypes.ERROR, Protocol.CONTROL_CHANNEL, Map.of("in-reply-to", inReplyTo), body);
  }

  /** Answers an agent request as the gateway's router does: an unsigned {@code response}. */
  public void respond(OpenedRecord request, JsonNode body) {
    sendUnsigned(nextId(), MessageTypes.RESPONSE, request.channel(), Map.of("in-reply-to", request.id()), body);
  }

  /** Sends a key update of the gateway's direction, optionally asking the agent to update too. */
  public void keyUpdate(boolean askAgent) {
    onContext(() -> {
      write(channel.sealKeyUpdate(askAgent));
      return null;
    });
  }

  /** Closes the connection with a code. */
  public void close(int code, String reason) {
    onContext(() -> ws.close((short) code, reason));
  }

  /** Stops reading from the socket: pings go unanswered, as from a dead gateway. */
  public void stopReading() {
    onContext(ws::pause);
  }

  private String nextId() {
    return "g-" + (++counter) + "-" + System.nanoTime();
  }

  // ------------------------------------------------------------------ agent → gateway

  /** The next record the agent sent (key updates excepted). */
  public OpenedRecord nextRecord() throws InterruptedException {
    OpenedRecord r = records.poll(Waits.EVENT.toSeconds(), TimeUnit.SECONDS);
    if (r == null) {
      throw new AssertionError("agent sent no record within " + Waits.EVENT);
    }
    return r;
  }

  /** The next record, which must have this type. */
  public OpenedRecord nextRecord(String type) throws InterruptedException {
    OpenedRecord r = nextRecord();
    if (!r.type().equals(type)) {
      throw new AssertionError("expected a " + type + " record, got " + r + " " + r.bodyText());
    }
    return r;
  }

  /** Asserts the agent sends nothing within {@code d}. */
  public void expectNoRecord(Duration d) throws InterruptedException {
    OpenedRecord r = records.poll(d.toMillis(), TimeUnit.MILLISECONDS);
    if (r != null) {
      throw new AssertionError("agent sent an unexpected record: " + r + " " + r.bodyText());
    }
  }

  /** Whether the record carries a valid agent signature by the registered key. */
  public VerificationResult verifyAgentSignature(OpenedRecord r) {
    return AgentMessageVerifier.verify(r, gateway.agentKey());
  }

  /** Key updates of the agent's direction received so far. */
  public int agentKeyUpdates() {
    return agentKeyUpdates.get();
  }

  /** The gateway's sending epoch (incremented by each of its key updates). */
  public long gatewayEpoch() {
    return onContext(() -> channel.sealer().epoch());
  }

  /** The agent's sending epoch as seen by the gateway. */
  public long agentEpoch() {
    return onContext(() -> channel.opener().epoch());
  }

  /** The close code of this connection, once closed (by either side). */
  public int awaitClosed() {
    try {
      return closed.get(Waits.EVENT.toSeconds(), TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("connection was not closed within " + Waits.EVENT);
    }
  }

  public boolean isClosed() {
    return closed.isDone();
  }

  static JsonNode json(String text) {
    try {
      return JSON.readTree(text);
    } catch (Exception e) {
      throw new IllegalArgumentException(e);
    }
  }

  static byte[] bytes(JsonNode body) {
    return body.toString().getBytes(StandardCharsets.UTF_8);
  }
}
