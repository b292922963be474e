package io.aegis.bench.agent;

import io.aegis.protocol.MessageTypes;
import io.aegis.protocol.Protocol;
import io.aegis.protocol.WireJson;
import io.aegis.protocol.handshake.ClientHandshake;
import io.aegis.protocol.handshake.HandshakeException;
import io.aegis.protocol.record.CommandVerifier;
import io.aegis.protocol.record.OpenedRecord;
import io.aegis.protocol.record.RecordException;
import io.aegis.protocol.record.SecureChannel;
import io.aegis.protocol.record.VerificationResult;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.vertx.core.Context;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocket;
import io.vertx.core.internal.http.WebSocketInternal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One simulated agent: a real identity key, a real WebSocket connection to the gateway, the real
 * handshake ({@link ClientHandshake}) and record layer ({@link SecureChannel}) of
 * {@code aegis-protocol}, exactly as a real agent would run them.
 *
 * <pre>
 *   IDLE --connect--> CONNECTING --upgraded, M1 sent--> AWAIT_SERVER_HELLO --M3 sent--> AWAIT_SESSION
 *        --session record checked--> OPEN --close / abort / failure--> IDLE
 * </pre>
 *
 * <p>Once open, every record is opened; a key update is answered as the protocol requires; a
 * signed message is verified with {@link CommandVerifier} (signer pinned, signature, audience,
 * expiry, not seen before) unless the fleet runs with verification off; accepted messages are
 * reported to the fleet's {@link MessageListener} and acknowledged with an {@code ack} record on
 * channel {@code control}, body {@code {"ids":[…]}} (acks of messages that arrive in one event-loop
 * turn share one record).
 *
 * <p>Threading: each agent is bound to one event-loop {@link Context} and every method runs
 * there; {@link #connect()}, {@link #abort()} and {@link #close()} may be called from any
 * thread and hop onto it. Callbacks of an older connection (after an abort and reconnect) are
 * recognised by the socket they belong to and ignored.
 */
public final class SimulatedAgent {
  enum State { IDLE, CONNECTING, AWAIT_SERVER_HELLO, AWAIT_SESSION, OPEN }

  private final AgentFleet fleet;
  private final AgentIdentity identity;
  private final int index;
  private final Context context;
  private final CommandVerifier verifier;
  private State state = State.IDLE;
  private WebSocket ws;
  private ClientHandshake handshake;
  private SecureChannel channel;
  private long attemptStartNanos;
  private volatile long openedAtNanos;
  private volatile int attempt;
  private long generation;
  private List<String> pendingAcks;
  private long ackCounter;

  SimulatedAgent(AgentFleet fleet, AgentIdentity identity, int index, Context context) {
    this.fleet = fleet;
    this.identity = identity;
    this.index = index;
    this.context = context;
    this.verifier = fleet.verify()
        ? new CommandVerifier(identity.agentId(), fleet.backendKeys(), java.time.Clock.systemUTC(), 10_000)
        : null;
  }

  public String agentId() {
    return identity.agentId();
  }

  public AgentIdentity identity() {
    return identity;
  }

  public int index() {
    return index;
  }

  /** True while the session is open (read from any thread; may be stale by one event). */
  public boolean isOpen() {
    return openedAtNanos != 0;
  }

  /** {@link System#nanoTime()} when the current session opened, or 0. */
  public long openedAtNanos() {
    return openedAtNanos;
  }

  /** Consecutive failed attempts since the last open session (for backoff). */
  public int attempt() {
    return attempt;
  }

  // ------------------------------------------------------------------ connecting

  /** Starts a connection attempt (ignored unless idle). Any thread. */
  public void connect() {
    context.runOnContext(v -> connectNow());
  }

  private void connectNow() {
    if (state != State.IDLE) {
      fleet.launcher().attemptEnded(); // already connecting or open: nothing started
      return;
    }
    state = State.CONNECTING;
    long gen = ++generation;
    attemptStartNanos = System.nanoTime();
    fleet.stats().attempts.increment();
    fleet.stats().inFlight.incrementAndGet();
    handshake = new ClientHandshake(fleet.handshakeConfig(identity, context));
    fleet.client(index).connect(fleet.connectOptions(identity)).onComplete(ar -> {
      if (gen != generation || state != State.CONNECTING) {
        if (ar.succeeded()) {
          abortSocket(ar.result()); // this attempt was aborted while it connected
        }
        return;
      }
      if (ar.failed()) {
        attemptFailed(reasonOf(ar.cause()), null);
        return;
      }
      WebSocket socket = ar.result();
      ws = socket;
      socket.textMessageHandler(frame -> {
        if (ws == socket) {
          onText(frame);
        }
      });
      socket.binaryMessageHandler(b -> {
        if (ws == socket) {
          failNow("binary_frame");
        }
      });
      socket.exceptionHandler(t -> { });
      socket.closeHandler(x -> {
        if (ws == socket) {
          onSocketClosed(socket.closeStatusCode());
        }
      });
      state = State.AWAIT_SERVER_HELLO;
      socket.writeTextMessage(handshake.clientHello());
    });
  }

  private static String reasonOf(Throwable t) {
    if (t instanceof UpgradeRejectedException u) {
      return "http_" + u.getStatus();
    }
    String name = t.getClass().getSimpleName();
    StringBuilder all = new StringBuilder();
    for (Throwable c = t; c != null && all.length() < 2000; c = c.getCause()) {
      all.append(c.getMessage()).append(' ');
    }
    String msg = all.toString();
    if (msg.contains("Connection refused")) {
      return "connection_refused";
    }
    if (msg.contains("Cannot assign requested address")) {
      return "no_source_port";
    }
    if (msg.contains("Too many open files")) {
      return "too_many_open_files";
    }
    if (name.contains("Timeout") || msg.contains("timed out")) {
      return "connect_timeout";
    }
    return "connect_" + name;
  }

  private void onText(String frame) {
    try {
      switch (state) {
        case AWAIT_SERVER_HELLO -> {
          String m3 = handshake.onServerHello(frame);
          state = State.AWAIT_SESSION;
          ws.writeTextMessage(m3);
        }
        case AWAIT_SESSION -> {
          ClientHandshake.Established est = handshake.onSessionRecord(frame);
          channel = est.channel();
          handshake = null;
          opened();
        }
        case OPEN -> onRecord(frame);
        default -> { }
      }
    } catch (HandshakeException e) {
      failNow("handshake_" + e.reason().name().toLowerCase());
    }
  }

  private void opened() {
    state = State.OPEN;
    long now = System.nanoTime();
    openedAtNanos = now;
    attempt = 0;
    FleetStats s = fleet.stats();
    s.inFlight.decrementAndGet();
    fleet.launcher().attemptEnded();
    s.handshakes.increment();
    s.open.incrementAndGet();
    s.handshakeLatency.record(now - attemptStartNanos);
    fleet.onOpen(this, now - attemptStartNanos);
  }

  // ------------------------------------------------------------------ records

  private void onRecord(String frame) {
    OpenedRecord r;
    try {
      r = channel.open(frame);
    } catch (RecordException e) {
      failNow("record_" + e.reason().name().toLowerCase());
      return;
    }
    if (r.keyUpdate()) {
      if (channel.keyUpdateOwed()) {
        try {
          ws.writeTextMessage(WireJson.encode(channel.sealKeyUpdate(false)));
        } catch (RecordException e) {
          failNow("key_update_" + e.reason().name().toLowerCase());
        }
      }
      return;
    }
    long received = System.nanoTime();
    FleetStats s = fleet.stats();
    s.records.increment();
    if (verifier != null && (r.isSigned() || mustBeSigned(r.type()))) {
      VerificationResult v = verifier.verify(r);
      if (!v.accepted()) {
        s.refused(v.name().toLowerCase());
        return;
      }
      s.verified.increment();
    }
    fleet.listener().onMessage(this, r, received);
    if (fleet.acknowledges(r)) {
      queueAck(r.id());
    }
  }

  /** Backend→agent types that PROTOCOL.md §10.1 says the backend always signs. */
  private static boolean mustBeSigned(String type) {
    return type.equals(MessageTypes.REQUEST) || type.equals(MessageTypes.EVENT) || type.equals(MessageTypes.SUBSCRIBE)
        || type.equals(MessageTypes.UNSUBSCRIBE) || type.equals(MessageTypes.BACKEND_KEY);
  }

  private void queueAck(String id) {
    if (pendingAcks == null) {
      pendingAcks = new ArrayList<>(4);
      context.runOnContext(v -> flushAcks());
    }
    pendingAcks.add(id);
  }

  private void flushAcks() {
    List<String> ids = pendingAcks;
    pendingAcks = null;
    if (ids == null || state != State.OPEN) {
      return;
    }
    StringBuilder body = new StringBuilder(16 + ids.size() * 40).append("{\"ids\":[");
    for (int i = 0; i < ids.size(); i++) {
      body.append(i == 0 ? "\"" : ",\"").append(ids.get(i)).append('"');
    }
    body.append("]}");
    send("ack-" + (++ackCounter), MessageTypes.ACK, Protocol.CONTROL_CHANNEL, body.toString());
    fleet.stats().acked.add(ids.size());
    fleet.stats().ackRecords.increment();
  }

  /** Seals and sends an unsigned record (the agent's own messages). Event loop only. */
  public void send(String id, String type, String channelName, String body) {
    if (state != State.OPEN) {
      return;
    }
    try {
      ws.writeTextMessage(WireJson.encode(channel.seal(id, type, channelName, Map.of(),
          body.getBytes(StandardCharsets.UTF_8))));
    } catch (RecordException e) {
      failNow("seal_" + e.reason().name().toLowerCase());
    }
  }

  // ------------------------------------------------------------------ ending

  /**
   * Drops the connection the way a crashed agent or a dead network does: the TCP connection is
   * reset (SO_LINGER 0, then close), with no WebSocket close frame. Any thread.
   */
  public void abort() {
    context.runOnContext(v -> {
      WebSocket socket = ws;
      boolean wasOpen = state == State.OPEN;
      resetToIdle(wasOpen);
      if (socket != null) {
        abortSocket(socket);
      }
    });
  }

  /** Closes the session normally (close frame 1000). Any thread. */
  public void close() {
    context.runOnContext(v -> {
      WebSocket socket = ws;
      boolean wasOpen = state == State.OPEN;
      resetToIdle(wasOpen);
      if (socket != null && !socket.isClosed()) {
        socket.close((short) 1000, "normal");
      }
    });
  }

  private void abortSocket(WebSocket socket) {
    java.util.concurrent.atomic.AtomicInteger closing = fleet.stats().closing;
    closing.incrementAndGet();
    if (socket instanceof WebSocketInternal internal) {
      Channel ch = internal.channelHandlerContext().channel();
      ch.config().setOption(ChannelOption.SO_LINGER, 0);
      ch.close().addListener(f -> closing.decrementAndGet());
    } else {
      socket.close().onComplete(ar -> closing.decrementAndGet());
    }
  }

  /** A failure detected on this side: close the socket and let the fleet decide on a retry. */
  private void failNow(String reason) {
    WebSocket socket = ws;
    attemptFailed(reason, socket);
    if (socket != null && !socket.isClosed()) {
      socket.close((short) (reason.startsWith("handshake") ? 4001 : 4006));
    }
  }

  private void onSocketClosed(Short code) {
    String reason = "close_" + (code == null ? 1006 : code);
    if (state == State.OPEN) {
      resetToIdle(true);
      fleet.stats().lost(reason);
      fleet.onLost(this, code == null ? 1006 : code);
    } else {
      attemptFailed(reason, null);
    }
  }

  private void attemptFailed(String reason, WebSocket socket) {
    if (state == State.OPEN) {
      resetToIdle(true);
      fleet.stats().lost(reason);
      fleet.onLost(this, 4006);
      return;
    }
    if (state == State.IDLE) {
      return;
    }
    resetToIdle(false);
    fleet.stats().fail(reason);
    attempt++;
    fleet.onAttemptFailed(this, reason);
  }

  private void resetToIdle(boolean wasOpen) {
    if (state == State.IDLE) {
      return;
    }
    if (wasOpen) {
      fleet.stats().open.decrementAndGet();
    } else {
      fleet.stats().inFlight.decrementAndGet();
      fleet.launcher().attemptEnded();
    }
    state = State.IDLE;
    ws = null;
    handshake = null;
    pendingAcks = null;
    openedAtNanos = 0;
    if (channel != null) {
      channel.close();
      channel = null;
    }
  }

  @Override
  public String toString() {
    return "SimulatedAgent[" + identity.agentId() + " " + state + "]";
  }
}
