package io.aegis.agent;

import io.aegis.protocol.IdentityPublicKey;
import io.aegis.protocol.PinnedBackendKeys;
import io.aegis.protocol.Protocol;
import io.aegis.protocol.SecureMessage;
import io.aegis.protocol.WireJson;
import io.aegis.protocol.handshake.ClientHandshake;
import io.aegis.protocol.handshake.HandshakeException;
import io.aegis.protocol.record.OpenedRecord;
import io.aegis.protocol.record.RecordException;
import io.aegis.protocol.record.SecureChannel;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One WebSocket to the gateway and its session: the upgrade, the handshake state machine, the
 * record layer, the frame writer and the heartbeat.
 *
 * <pre>
 *   CONNECTING ──upgrade──▶ EXPECT_SERVER_HELLO ──M2/M3──▶ EXPECT_SESSION ──session record──▶ OPEN
 *        │                         │                             │                            │
 *        └─────────────────────────┴──────── any failure ────────┴───────────▶ CLOSING ──▶ ENDED
 * </pre>
 *
 * <p>M1 is sent when the upgrade completes; M2 is answered with M3; the gateway's session record
 * (its first record) completes the handshake. Every failure goes through {@link #closeWith} or
 * {@link #end}, and {@link Events#ended} is called exactly once with the {@link Disconnect}.
 *
 * <p><b>Threading.</b> Every method runs on the client's I/O thread, and the JDK's WebSocket
 * callbacks hop onto it at once; the record layer ({@link SecureChannel}, not thread-safe) is
 * touched nowhere else. Frames are written one at a time (the JDK allows one outstanding text
 * send), in the order they were sealed, so record sequence numbers match the wire order.
 *
 * <p><b>Reading</b> is demand-driven ({@link WebSocket#request(long)}): {@link #pauseReading()}
 * stops asking for frames while the application's handlers are behind (TCP backpressure), and
 * suspends the inactivity check meanwhile.
 *
 * <p><b>Heartbeat.</b> Every {@code pingInterval} the agent pings the gateway; pings from the
 * gateway are answered by the JDK. If nothing at all (record, ping or pong) arrives for
 * {@code inactivityTimeout}, the gateway is presumed dead and the connection is dropped (1006).
 */
final class Connection {

  private static final Logger log = LoggerFactory.getLogger(Connection.class);

  /** What the connection reports to its owner, on the I/O thread. */
  interface Events {
    /** The handshake completed, signed by the pinned {@code backendKey}; records may be sent. */
    void established(Connection c, SessionInfo session, IdentityPublicKey backendKey);

    /** An application or control record arrived (key updates already applied). */
    void record(Connection c, OpenedRecord r);

    /** The writer has room: fewer than {@link AgentConfig#MAX_FRAMES_AHEAD} frames are pending. */
    void writable(Connection c);

    /** The connection is over; called once. */
    void ended(Connection c, Disconnect d);
  }

  private enum State { CONNECTING, EXPECT_SERVER_HELLO, EXPECT_SESSION, OPEN, CLOSING, ENDED }

  private final AgentConfig config;
  private final HttpClient http;
  private final ScheduledExecutorService io;
  private final Events events;
  private final ClientHandshake handshake;
  private final StringBuilder partial = new StringBuilder();
  private final ArrayDeque<String> frames = new ArrayDeque<>();
  private State state = State.CONNECTING;
  private WebSocket ws;
  private SecureChannel channel;
  private long establishedNanos;
  private long lastReceivedNanos;
  private boolean writing;
  private boolean pingOutstanding;
  private boolean readPaused;
  private boolean readOwed;
  private Disconnect closing;
  private ScheduledFuture<?> handshakeTimer;
  private ScheduledFuture<?> heartbeat;
  private ScheduledFuture<?> closeTimer;

  Connection(AgentConfig config, PinnedBackendKeys pins, HttpClient http, ScheduledExecutorService io, Events events) {
    this.config = config;
    this.http = http;
    this.io = io;
    this.events = events;
    this.handshake = new ClientHandshake(new ClientHandshake.Config(config.agentId(), config.identity(), pins,
        config.clock(), new SecureRandom(), config.maxFrameBytes()));
  }

  /** Starts the upgrade: {@code GET <endpoint>} with the seed's headers. */
  void open() {
    CompletableFuture<WebSocket> upgrade;
    try {
      upgrade = http.newWebSocketBuilder()
          .header("X-Agent-ID", config.agentId())
          .header("X-Agent-Public-Key", config.identity().publicKey().base64())
          .header("User-Agent", AgentConfig.userAgent())
          .connectTimeout(config.connectTimeout())
          .buildAsync(config.endpoint(), new SocketListener());
    } catch (RuntimeException e) {
      upgrade = CompletableFuture.failedFuture(e);
    }
    upgrade.whenComplete((w, err) -> {
      if (err != null) {
        io.execute(() -> upgradeFailed(err));
      }
    });
  }

  /** True once the session is established and until the connection starts closing. */
  boolean isOpen() {
    return state == State.OPEN;
  }

  /** Frames sealed but not yet handed to the socket, plus the one being written. */
  int framesAhead() {
    return frames.size() + (writing ? 1 : 0);
  }

  // ------------------------------------------------------------------ sending (state OPEN)

  /**
   * Seals and writes an application message (signed if it carries a signature).
   *
   * @throws IllegalStateException    if the record would exceed the frame limit (nothing sent)
   * @throws IllegalArgumentException if a name or header is invalid (nothing sent)
   */
  void send(OutgoingMessage m) {
    seal(() -> m.signed != null ? channel.seal(m.signed, m.headers)
        : channel.seal(m.id, m.type, m.channel, m.headers, m.body));
  }

  /** Seals and writes an unsigned record on channel {@code control} with a fresh id. */
  void sendControl(String type, byte[] body) {
    String id = MessageIds.next(config.clock().millis());
    seal(() -> channel.seal(id, type, Protocol.CONTROL_CHANNEL, Map.of(), body));
  }

  @FunctionalInterface
  private interface Sealer {
    SecureMessage seal() throws RecordException;
  }

  private void seal(Sealer sealer) {
    if (state != State.OPEN) {
      throw new IllegalStateException("session is not open");
    }
    try {
      rekeyIfDue();
      writeFrame(WireJson.encode(sealer.seal()));
    } catch (RecordException e) {
      closeWith(4006, "protocol violation", e);
    }
  }

  /** Sends a key update when the peer asked for one or this direction's key is due. */
  private void rekeyIfDue() throws RecordException {
    Instant now = config.clock().instant();
    if (channel.needsKeyUpdate(now, config.keyUpdateInterval(), config.keyUpdateRecords())) {
      boolean askPeer = channel.peerKeyUpdateOverdue(now, config.keyUpdateInterval(), config.keyUpdateRecords());
      writeFrame(WireJson.encode(channel.sealKeyUpdate(askPeer)));
      log.debug("agent {}: sending key updated (epoch {}), peer asked to update: {}", config.agentId(),
          channel.sealer().epoch(), askPeer);
    }
  }

  private void writeFrame(String frame) {
    frames.addLast(frame);
    pump();
  }

  private void pump() {
    if (writing || frames.isEmpty() || ws == null || state == State.ENDED || state == State.CLOSING) {
      return;
    }
    writing = true;
    String frame = frames.pollFirst();
    ws.sendText(frame, true).whenComplete((w, err) -> io.execute(() -> written(err)));
  }

  private void written(Throwable err) {
    writing = false;
    if (state == State.ENDED || state == State.CLOSING) {
      return;
    }
    if (err != null) {
      end(new Disconnect(Disconnect.ABNORMAL, "write failed: " + describe(err), 0, lasted(), err));
      return;
    }
    pump();
    if (state == State.OPEN && framesAhead() < AgentConfig.MAX_FRAMES_AHEAD) {
      events.writable(this);
    }
  }

  // ------------------------------------------------------------------ reading

  /** Stops reading frames (handlers are behind); the inactivity check is suspended. */
  void pauseReading() {
    readPaused = true;
  }

  /** Resumes reading after {@link #pauseReading()}. */
  void resumeReading() {
    if (!readPaused) {
      return;
    }
    readPaused = false;
    lastReceivedNanos = System.nanoTime();
    if (readOwed && ws != null && state != State.ENDED) {
      readOwed = false;
      ws.request(1);
    }
  }

  private void demand() {
    if (ws == null || state == State.ENDED) {
      return;
    }
    if (readPaused) {
      readOwed = true;
    } else {
      ws.request(1);
    }
  }

  private void opened(WebSocket socket) {
    if (state == State.ENDED) {
      socket.abort();
      return;
    }
    ws = socket;
    lastReceivedNanos = System.nanoTime();
    if (state == State.CLOSING) {
      end(closing);
      return;
    }
    state = State.EXPECT_SERVER_HELLO;
    handshakeTimer = io.schedule(() -> closeWith(4007, "handshake timeout", null),
        config.handshakeTimeout().toMillis(), TimeUnit.MILLISECONDS);
    long ping = config.pingInterval().toMillis();
    heartbeat = io.scheduleWithFixedDelay(this::heartbeat, ping, ping, TimeUnit.MILLISECONDS);
    writeFrame(handshake.clientHello());
    ws.request(1);
  }

  private void text(String fragment, boolean last) {
    if (state == State.ENDED || state == State.CLOSING) {
      demand(); // keep reading until the gateway's close frame
      return;
    }
    lastReceivedNanos = System.nanoTime();
    partial.append(fragment);
    int limit = state == State.EXPECT_SERVER_HELLO ? Protocol.MAX_HANDSHAKE_FRAME_BYTES : config.maxFrameBytes();
    if (partial.length() > limit) {
      partial.setLength(0);
      // 1009 is the code for this, but the JDK client may not send it: report it as a violation.
      closeWith(4006, "frame larger than " + limit + " bytes", null);
      demand();
      return;
    }
    if (!last) {
      demand();
      return;
    }
    String frame = partial.toString();
    partial.setLength(0);
    try {
      switch (state) {
        case EXPECT_SERVER_HELLO -> {
          String m3 = handshake.onServerHello(frame);
          state = State.EXPECT_SESSION;
          writeFrame(m3);
        }
        case EXPECT_SESSION -> established(handshake.onSessionRecord(frame));
        case OPEN -> {
          OpenedRecord r = channel.open(frame);
          rekeyIfDue();
          events.record(this, r);
        }
        default -> throw new IllegalStateException("frame in state " + state);
      }
    } catch (HandshakeException e) {
      log.warn("agent {}: handshake failed: {} ({})", config.agentId(), e.getMessage(), e.reason());
      closeWith(4001, "handshake failed: " + e.reason().name().toLowerCase(Locale.ROOT), e);
    } catch (RecordException e) {
      log.warn("agent {}: record refused: {} ({})", config.agentId(), e.getMessage(), e.reason());
      closeWith(4006, "protocol violation", e);
    }
    demand();
  }

  private void established(ClientHandshake.Established est) {
    channel = est.channel();
    state = State.OPEN;
    establishedNanos = System.nanoTime();
    handshakeTimer.cancel(false);
    SessionInfo info = new SessionInfo(channel.sessionIdHex(), Instant.ofEpochSecond(est.response().expiresAt()),
        est.backendKey().keyIdHex());
    log.info("agent {}: session {} established with {} (backend key {})", config.agentId(), info.sessionId(),
        config.endpoint(), info.backendKeyId());
    events.established(this, info, est.backendKey());
  }

  private void control() {
    lastReceivedNanos = System.nanoTime();
    demand();
  }

  private void heartbeat() {
    if (state == State.ENDED || state == State.CLOSING) {
      return;
    }
    long idle = System.nanoTime() - lastReceivedNanos;
    if (!readPaused && idle >= config.inactivityTimeout().toNanos()) {
      end(new Disconnect(Disconnect.ABNORMAL, "no traffic from the gateway for "
          + Duration.ofNanos(idle).toSeconds() + " s", 0, lasted(), null));
      return;
    }
    if (!pingOutstanding) {
      pingOutstanding = true;
      ws.sendPing(ByteBuffer.allocate(0)).whenComplete((w, err) -> io.execute(() -> pingOutstanding = false));
    }
  }

  // ------------------------------------------------------------------ closing

  /**
   * Closes with {@code code}: sends the close frame and waits up to {@code closeTimeout} for the
   * gateway's, then ends. {@link Events#ended} reports this code, whatever the gateway answers.
   */
  void closeWith(int code, String reason, Throwable cause) {
    if (state == State.ENDED || state == State.CLOSING) {
      return;
    }
    closing = new Disconnect(code, reason, 0, lasted(), cause);
    state = State.CLOSING;
    Disconnect d = closing;
    closeTimer = io.schedule(() -> end(d), config.closeTimeout().toMillis(), TimeUnit.MILLISECONDS);
    if (ws == null) {
      return; // ends when the upgrade completes or fails, or at the close timeout
    }
    try {
      ws.sendClose(code, reason.length() > 100 ? reason.substring(0, 100) : reason);
    } catch (RuntimeException e) {
      end(closing);
    }
  }

  /** Drops the connection at once, without a close handshake. */
  void abort(String reason) {
    end(new Disconnect(Disconnect.ABNORMAL, reason, 0, lasted(), null));
  }

  private void remoteClosed(int code, String reason) {
    end(closing != null ? closing : new Disconnect(code, reason, 0, lasted(), null));
  }

  private void failed(Throwable err) {
    end(closing != null ? closing
        : new Disconnect(Disconnect.ABNORMAL, describe(err), 0, lasted(), err));
  }

  private void upgradeFailed(Throwable err) {
    Throwable e = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
    if (closing != null) {
      end(closing);
    } else if (e instanceof WebSocketHandshakeException h) {
      int status = h.getResponse().statusCode();
      end(new Disconnect(Disconnect.ABNORMAL, "upgrade refused: HTTP " + status, status, null, e));
    } else {
      end(new Disconnect(Disconnect.ABNORMAL, "cannot connect: " + describe(e), 0, null, e));
    }
  }

  private void end(Disconnect d) {
    if (state == State.ENDED) {
      return;
    }
    state = State.ENDED;
    cancel(handshakeTimer);
    cancel(heartbeat);
    cancel(closeTimer);
    frames.clear();
    if (channel != null) {
      channel.close();
    }
    if (ws != null) {
      ws.abort();
    }
    events.ended(this, d);
  }

  private Duration lasted() {
    return channel != null && establishedNanos != 0 ? Duration.ofNanos(System.nanoTime() - establishedNanos) : null;
  }

  private static void cancel(ScheduledFuture<?> f) {
    if (f != null) {
      f.cancel(false);
    }
  }

  private static String describe(Throwable e) {
    Throwable t = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    String m = t.getMessage();
    return t.getClass().getSimpleName() + (m == null ? "" : ": " + m);
  }

  /** The JDK's callbacks, on HttpClient threads: copy what is needed and hop to the I/O thread. */
  private final class SocketListener implements WebSocket.Listener {

    @Override
    public void onOpen(WebSocket webSocket) {
      io.execute(() -> opened(webSocket));
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
      String fragment = data.toString();
      io.execute(() -> text(fragment, last));
      return null;
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
      io.execute(() -> {
        closeWith(4006, "binary frames are not part of the protocol", null);
        demand();
      });
      return null;
    }

    @Override
    public CompletionStage<?> onPing(WebSocket webSocket, ByteBuffer message) {
      io.execute(Connection.this::control);
      return null;
    }

    @Override
    public CompletionStage<?> onPong(WebSocket webSocket, ByteBuffer message) {
      io.execute(Connection.this::control);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
      io.execute(() -> remoteClosed(statusCode, reason));
      return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
      io.execute(() -> failed(error));
    }
  }
}
