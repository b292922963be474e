package io.aegis.server.gateway;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.aegis.protocol.CloseCode;
import io.aegis.protocol.IdentityPublicKey;
import io.aegis.protocol.MessageTypes;
import io.aegis.protocol.Protocol;
import io.aegis.protocol.SecureMessage;
import io.aegis.protocol.WireJson;
import io.aegis.protocol.handshake.ClientHello;
import io.aegis.protocol.handshake.HandshakeException;
import io.aegis.protocol.handshake.ServerHandshake;
import io.aegis.protocol.record.OpenedRecord;
import io.aegis.protocol.record.RecordException;
import io.aegis.protocol.record.SecureChannel;
import io.aegis.protocol.record.SignedCommand;
import io.aegis.server.api.ApiJson;
import io.aegis.server.auth.AgentSessions;
import io.aegis.server.auth.AgentSignaturePolicy;
import io.aegis.server.delivery.AgentLink;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One agent's WebSocket connection, from the upgrade to the close: the handshake state machine,
 * then the record layer, heartbeats, traffic-key updates, the session's expiry and its per-
 * session rate limit.
 *
 * <pre>
 *   AWAIT_HELLO --client_hello--> AWAIT_AUTH --client_auth--> ESTABLISHING --(session stored)--> OPEN
 *        \______________________________ any failure, timeout or close ______________________/--> CLOSED
 * </pre>
 *
 * <p>Before OPEN nothing but the two handshake frames is accepted, and nothing is dispatched.
 * Every violation leaves through {@link #violation}, which closes with the matching code.
 *
 * <p>Threading: everything runs on the connection's event loop. Other threads use
 * {@link #execute} to run code there; {@link #close} may be called from any thread.
 * The methods that send ({@link #send}, {@link #sendUnsigned}) must be called on the event loop.
 */
public final class AgentSession implements AgentLink {
  private static final Logger log = LoggerFactory.getLogger(AgentSession.class);
  private static final Buffer PING = Buffer.buffer(new byte[] {'a', 'e'});

  enum State { AWAIT_HELLO, AWAIT_AUTH, ESTABLISHING, OPEN, CLOSED }

  private final AgentGateway gateway;
  private final ServerWebSocket ws;
  private final Context context;
  private final String agentId;
  private final IdentityPublicKey registeredKey;
  private final String remoteAddress;
  private final long revocationMark;
  private final long startNanos = System.nanoTime();
  private ServerHandshake handshake;
  private SecureChannel channel;
  private volatile State state = State.AWAIT_HELLO;
  private long handshakeTimer = -1;
  private long tickTimer = -1;
  private long expiryTimer = -1;
  private volatile long lastHeardMillis = System.currentTimeMillis();
  private Instant connectedAt;
  private Instant expiresAt;
  private String sessionIdHex;
  private String sessionToken;
  private boolean handshakeCounted;
  /** Whether the handler heard {@link SessionHandler#onOpen}: only then does it hear the close. */
  private boolean handlerOpened;
  private String backendKeyLabel;
  private double rateTokens;
  private long rateRefilledNanos;

  AgentSession(AgentGateway gateway, ServerWebSocket ws, Context context, String agentId,
               IdentityPublicKey registeredKey, String remoteAddress, long revocationMark) {
    this.gateway = gateway;
    this.ws = ws;
    this.context = context;
    this.agentId = agentId;
    this.registeredKey = registeredKey;
    this.remoteAddress = remoteAddress;
    this.revocationMark = revocationMark;
    this.handshake = new ServerHandshake(gateway.handshakeConfig());
    this.rateTokens = gateway.config().sessionRateLimit() * 2.0;
    this.rateRefilledNanos = startNanos;
  }

  /** Wires the socket's handlers and arms the handshake timeout. Call on the event loop. */
  void start() {
    ws.textMessageHandler(this::onText);
    ws.binaryMessageHandler(b -> violation(CloseCode.PROTOCOL_VIOLATION, "binary frame"));
    ws.pongHandler(b -> heard());
    ws.exceptionHandler(this::onSocketError);
    ws.closeHandler(v -> closed(ws.closeStatusCode() == null ? 1006 : ws.closeStatusCode()));
    ws.drainHandler(v -> {
      if (state == State.OPEN) {
        gateway.handler().onWritable(this);
      }
    });
    handshakeTimer = gateway.vertx().setTimer(gateway.config().handshakeTimeout().toMillis(), id -> {
      if (state != State.OPEN && state != State.CLOSED) {
        log.info("agent_id={} handshake timeout", agentId);
        handshakeOutcome("timeout");
        close(CloseCode.HANDSHAKE_TIMEOUT);
      }
    });
  }

  // ------------------------------------------------------------------ receiving

  private void onText(String frame) {
    heard();
    gateway.metrics().bytesIn.add(frame.length());
    switch (state) {
      case AWAIT_HELLO -> onClientHello(frame);
      case AWAIT_AUTH -> onClientAuth(frame);
      case OPEN -> onRecord(frame);
      case ESTABLISHING -> violation(CloseCode.PROTOCOL_VIOLATION, "record before the session record");
      case CLOSED -> { }
    }
  }

  private void onClientHello(String frame) {
    try {
      ClientHello hello = handshake.receiveClientHello(frame);
      if (!hello.agentId().equals(agentId)) {
        throw new HandshakeException(HandshakeException.Reason.UNKNOWN_AGENT,
            "client_hello agent_id differs from X-Agent-ID");
      }
      backendKeyLabel = gateway.backendKeyLabel(hello.backendKeyId());
      String m2 = handshake.respond(registeredKey);
      state = State.AWAIT_AUTH;
      write(m2);
    } catch (HandshakeException e) {
      handshakeFailed(e);
    }
  }

  private void onClientAuth(String frame) {
    ServerHandshake.Established established;
    try {
      established = handshake.onClientAuth(frame);
    } catch (HandshakeException e) {
      handshakeFailed(e);
      return;
    }
    handshake = null;
    state = State.ESTABLISHING;
    channel = established.channel();
    sessionIdHex = established.sessionIdHex();
    AgentSessions.Issued issued = gateway.sessions().newSession();
    connectedAt = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
    expiresAt = issued.expiresAt();
    sessionToken = issued.token();
    ObjectNode meta = ApiJson.MAPPER.createObjectNode()
        .put("node_id", gateway.config().nodeId())
        .put("session_id", sessionIdHex)
        .put("remote_address", remoteAddress)
        .put("protocol_version", Protocol.VERSION)
        .put("session_expires_at", expiresAt.toString())
        .put("backend_key_id", established.backendKey().keyIdHex());
    // The session token and the connection row are stored (group commit) before the agent
    // learns the token, so a token it holds is always one the API accepts.
    gateway.batcher().submit(c -> {
      gateway.sessions().store(c, agentId, issued);
      gateway.connectionsTable().connected(c, agentId, registeredKey.base64(), issued.token(), connectedAt, meta);
      return null;
    }).whenComplete((ok, err) -> context.runOnContext(v -> {
      if (err != null) {
        log.error("agent_id={} cannot store the session: {}", agentId, err.getMessage());
        handshakeOutcome("failed");
        close(CloseCode.INTERNAL_ERROR);
      } else if (state == State.ESTABLISHING) {
        open(established);
      }
    }));
  }

  private void open(ServerHandshake.Established established) {
    String record;
    try {
      record = established.sessionRecord(sessionToken, expiresAt.getEpochSecond());
    } catch (RecordException e) {
      violation(CloseCode.INTERNAL_ERROR, "cannot seal the session record: " + e.getMessage());
      return;
    }
    // Registering first closes this session if its agent was revoked while the handshake ran.
    var presenceShown = gateway.connections().register(this, revocationMark);
    if (state != State.ESTABLISHING) {
      return;
    }
    state = State.OPEN;
    gateway.vertx().cancelTimer(handshakeTimer);
    gateway.pendingHandshakeDone(remoteAddress);
    write(record);
    gateway.metrics().recordsOut.increment();
    handshakeOutcome("ok");
    gateway.metrics().handshakeByBackendKey(backendKeyLabel);
    long tick = gateway.config().heartbeatInterval().toMillis();
    tickTimer = gateway.vertx().setPeriodic(tick, tick, id -> tick());
    expiryTimer = gateway.vertx().setTimer(Math.max(1, expiresAt.toEpochMilli() - System.currentTimeMillis()),
        id -> close(CloseCode.SESSION_EXPIRED));
    log.debug("agent_id={} session {} open from {}", agentId, sessionIdHex, remoteAddress);
    gateway.announceNextBackendKey(this);
    // Delivery starts (reads the backlog) once every node can see where this session is: a message
    // committed from then on is routed here, and one committed before is in the backlog.
    if (presenceShown.isDone()) {
      handlerOpen();
    } else {
      presenceShown.whenComplete((v, e) -> execute(this::handlerOpen));
    }
  }

  private void handlerOpen() {
    if (state == State.OPEN) {
      handlerOpened = true;
      gateway.handler().onOpen(this);
    }
  }

  private void onRecord(String frame) {
    if (!withinRate()) {
      violation(CloseCode.RATE_LIMITED, "more than " + gateway.config().sessionRateLimit() + " records/s");
      return;
    }
    OpenedRecord record;
    try {
      record = channel.open(frame);
    } catch (RecordException e) {
      violation(e.reason() == RecordException.Reason.TOO_LARGE ? CloseCode.MESSAGE_TOO_BIG : CloseCode.PROTOCOL_VIOLATION,
          "record refused: " + e.reason());
      return;
    }
    gateway.metrics().recordsIn.increment();
    if (record.keyUpdate()) {
      if (channel.keyUpdateOwed()) {
        sendKeyUpdate(false);
      }
      return;
    }
    if (!signatureAcceptable(record)) {
      return;
    }
    gateway.handler().onRecord(this, record);
  }

  /** Applies the agent-signature policy (AEGIS_AGENT_SIGNATURES) to data records. */
  private boolean signatureAcceptable(OpenedRecord record) {
    switch (gateway.signaturePolicy().check(record, registeredKey)) {
      case ACCEPT -> {
        return true;
      }
      case UNSIGNED -> {
        sendError(record.id(), AgentSignaturePolicy.SIGNATURE_REQUIRED, AgentSignaturePolicy.SIGNATURE_REQUIRED_MESSAGE);
        return false;
      }
      default -> {
        // A record that decrypted under this session's keys but carries a bad signature is not
        // a transmission error: the sender is broken or hostile.
        violation(CloseCode.PROTOCOL_VIOLATION, "bad agent signature");
        return false;
      }
    }
  }

  private boolean withinRate() {
    int rate = gateway.config().sessionRateLimit();
    if (rate == 0) {
      return true;
    }
    long now = System.nanoTime();
    rateTokens = Math.min(rate * 2.0, rateTokens + (now - rateRefilledNanos) * rate / 1e9);
    rateRefilledNanos = now;
    if (rateTokens < 1) {
      return false;
    }
    rateTokens -= 1;
    return true;
  }

  /** Records how the handshake ended, once (ok, failed, timeout, or closed by the peer). */
  private void handshakeOutcome(String outcome) {
    if (!handshakeCounted) {
      handshakeCounted = true;
      gateway.metrics().handshake(outcome, startNanos);
    }
  }

  private void heard() {
    lastHeardMillis = System.currentTimeMillis();
  }

  private void tick() {
    if (state != State.OPEN) {
      return;
    }
    long silent = System.currentTimeMillis() - lastHeardMillis;
    if (silent > gateway.config().heartbeatTimeout().toMillis()) {
      log.info("agent_id={} heard nothing for {} ms; closing", agentId, silent);
      close(CloseCode.HEARTBEAT_TIMEOUT);
      return;
    }
    ws.writePing(PING);
    maybeUpdateKeys();
  }

  // ------------------------------------------------------------------ sending

  /**
   * Whether the socket can take another message now. When false, leave messages in the durable
   * queue; {@link SessionHandler#onWritable} says when to resume. Event loop only.
   */
  @Override
  public boolean writable() {
    // The socket can be closed a moment before its close handler moves us to CLOSED (work that
    // completes on this loop in between, such as a backlog read, then lands here), and Vert.x
    // throws from writeQueueFull() on a closed socket: ask isClosed() first.
    return state == State.OPEN && !ws.isClosed() && !ws.writeQueueFull();
  }

  /**
   * Seals and sends a signed message (a command; one signature may serve many sessions). Event
   * loop only. Returns the record as sent, or null if the session is not open.
   */
  @Override
  public SecureMessage send(SignedCommand command, Map<String, String> headers) {
    if (state != State.OPEN) {
      return null;
    }
    try {
      SecureMessage sealed = channel.seal(command, headers);
      writeRecord(sealed);
      return sealed;
    } catch (RecordException e) {
      violation(CloseCode.INTERNAL_ERROR, "cannot seal: " + e.reason());
      return null;
    }
  }

  /** Seals and sends an unsigned record (acks, errors, responses). Event loop only. */
  public void sendUnsigned(String id, String type, String channelName, Map<String, String> headers, byte[] body) {
    if (state != State.OPEN) {
      return;
    }
    try {
      writeRecord(channel.seal(id, type, channelName, headers, body));
    } catch (RecordException e) {
      violation(CloseCode.INTERNAL_ERROR, "cannot seal: " + e.reason());
    }
  }

  /** Sends an {@code error} record answering {@code inReplyTo}. Event loop only. */
  public void sendError(String inReplyTo, String code, String message) {
    byte[] body = ApiJson.write(ApiJson.MAPPER.createObjectNode().put("code", code).put("message", message));
    sendUnsigned(UUID.randomUUID().toString(), MessageTypes.ERROR, Protocol.CONTROL_CHANNEL,
        inReplyTo == null ? Map.of() : Map.of("in-reply-to", inReplyTo), body);
  }

  private void writeRecord(SecureMessage message) {
    write(WireJson.encode(message));
    gateway.metrics().recordsOut.increment();
    maybeUpdateKeys();
  }

  private void maybeUpdateKeys() {
    if (state == State.OPEN && channel.needsKeyUpdate(Instant.now(), gateway.config().keyRotationInterval(),
        gateway.config().keyRotationRecords())) {
      sendKeyUpdate(true);
    }
  }

  private void sendKeyUpdate(boolean requestPeer) {
    try {
      write(WireJson.encode(channel.sealKeyUpdate(requestPeer)));
      gateway.metrics().recordsOut.increment();
    } catch (RecordException e) {
      violation(CloseCode.INTERNAL_ERROR, "cannot seal key update: " + e.reason());
    }
  }

  private void write(String frame) {
    if (!((io.vertx.core.internal.ContextInternal) context).nettyEventLoop().inEventLoop()) {
      // The socket writes straight to Netty (DirectWrites): a write from another thread would race.
      throw new IllegalStateException("agent session " + sessionIdHex + " written off its event loop");
    }
    gateway.metrics().bytesOut.add(frame.length());
    ws.writeTextMessage(frame);
  }

  // ------------------------------------------------------------------ closing

  /**
   * WebSocket-level failures. Vert.x runs Netty's frame decoder without its close-on-violation
   * option, so a frame over {@code maxWebSocketFrameSize} (or otherwise corrupt) arrives here and
   * Vert.x then drops the TCP connection without a close frame: we send the close frame first.
   * A message over {@code maxWebSocketMessageSize} reassembled from small fragments also arrives
   * here, but Vert.x would go on reading and deliver the rest of that message as a new one: a
   * session must not survive either.
   */
  private void onSocketError(Throwable t) {
    if (t instanceof CorruptedWebSocketFrameException c) {
      violation(c.closeStatus() != null && c.closeStatus().code() == CloseCode.MESSAGE_TOO_BIG.code()
          ? CloseCode.MESSAGE_TOO_BIG : CloseCode.PROTOCOL_VIOLATION, "bad WebSocket frame: " + t.getMessage());
    } else if (t instanceof IllegalStateException && String.valueOf(t.getMessage()).contains("max message size")) {
      violation(CloseCode.MESSAGE_TOO_BIG, "message over " + gateway.config().maxFrameSize() + " bytes");
    } else {
      log.debug("agent_id={} socket error: {}", agentId, t.toString());
    }
  }

  private void handshakeFailed(HandshakeException e) {
    log.info("agent_id={} handshake failed from {}: {} ({})", agentId, remoteAddress, e.reason(), e.getMessage());
    handshakeOutcome("failed");
    gateway.authenticationFailed(remoteAddress);
    if (state != State.CLOSED) {
      ws.writeTextMessage(ServerHandshake.FAILURE_FRAME);
    }
    close(CloseCode.AUTH_FAILED);
  }

  /** The single exit for violations: log why, close with the code. */
  private void violation(CloseCode code, String why) {
    log.info("agent_id={} session {} closed with {}: {}", agentId, sessionIdHex, code.code(), why);
    close(code);
  }

  /** Closes the session with {@code code}. Any thread; idempotent. */
  public void close(CloseCode code) {
    if (io.vertx.core.Vertx.currentContext() == context) {
      closeNow(code);
    } else {
      context.runOnContext(v -> closeNow(code));
    }
  }

  private void closeNow(CloseCode code) {
    if (state == State.CLOSED) {
      return;
    }
    closed(code.code());
    if (!ws.isClosed()) {
      ws.close((short) code.code(), code.reasonText());
    }
  }

  /** Runs once, however the connection ends (our close or the peer's). */
  private void closed(int code) {
    if (state == State.CLOSED) {
      return;
    }
    State was = state;
    state = State.CLOSED;
    gateway.vertx().cancelTimer(handshakeTimer);
    gateway.vertx().cancelTimer(tickTimer);
    gateway.vertx().cancelTimer(expiryTimer);
    if (channel != null) {
      channel.close();
    }
    handshake = null;
    gateway.connections().unregister(this);
    if (was == State.OPEN) {
      gateway.metrics().closed(code);
      if (handlerOpened) {
        gateway.handler().onClose(this, code);
      }
      String token = sessionToken;
      Instant at = Instant.now();
      gateway.batcher().submit(c -> {
        gateway.connectionsTable().disconnected(c, agentId, token, at);
        return null;
      });
    } else {
      gateway.pendingHandshakeDone(remoteAddress);
      handshakeOutcome("closed");
      if (was == State.ESTABLISHING) {
        // Its token and connection row are being stored but the agent never received the token.
        String token = sessionToken;
        Instant at = Instant.now();
        gateway.batcher().submit(c -> {
          gateway.sessions().revoke(c, token);
          gateway.connectionsTable().disconnected(c, agentId, token, at);
          return null;
        });
      }
    }
  }

  /** Runs {@code task} on this session's event loop. */
  @Override
  public void execute(Runnable task) {
    context.runOnContext(v -> task.run());
  }

  // ------------------------------------------------------------------ facts

  @Override
  public String agentId() {
    return agentId;
  }

  public IdentityPublicKey agentKey() {
    return registeredKey;
  }

  public String sessionId() {
    return sessionIdHex;
  }

  public String remoteAddress() {
    return remoteAddress;
  }

  public Instant connectedAt() {
    return connectedAt;
  }

  public Instant expiresAt() {
    return expiresAt;
  }

  public Instant lastHeard() {
    return Instant.ofEpochMilli(lastHeardMillis);
  }

  @Override
  public boolean isOpen() {
    return state == State.OPEN;
  }

  @Override
  public String toString() {
    return "AgentSession[" + agentId + " " + state + " " + sessionIdHex + "]";
  }
}
