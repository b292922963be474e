package io.aegis.agent;

import io.aegis.protocol.CloseCode;
import io.aegis.protocol.IdentityPublicKey;
import io.aegis.protocol.MessageTypes;
import io.aegis.protocol.PinnedBackendKeys;
import io.aegis.protocol.handshake.HandshakeException;
import io.aegis.protocol.record.OpenedRecord;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client's engine, on its I/O thread: keeps one {@link Connection} at a time, reconnects
 * by the {@link ReconnectPolicy}, writes the {@link Outbox} into the session, and hands
 * records to {@link Inbound}.
 *
 * <p><b>Transports.</b> Normally the WebSocket. After {@code fallbackAfter} consecutive WebSocket
 * failures ({@link TransportPolicy}) it switches to {@link HttpPolling}: the outbox goes out in
 * posts, acknowledgements too, and the records of polls and of post answers go to the same
 * {@link Inbound}. While polling it probes the WebSocket every {@code websocketProbeInterval}
 * (± 25%) with an ordinary {@link Connection}; once a probe's session is established, polling
 * stops and the client is back on the WebSocket. A probe that fails is not reported to the
 * listener (a probe ended with 4003 or 4004 still stops the client).
 *
 * <pre>
 *   WEBSOCKET ──N consecutive failures──▶ HTTP_POLLING ──probe established──▶ WEBSOCKET
 *       │ 4003/4004                            │ 401 token_revoked, or token refused + auth refused
 *       │                                      │ (REVOKED); 409 replaced (REPLACED)
 *       ▼                                      ▼
 *    STOPPED ◀──────────────────────────── STOPPED
 * </pre>
 *
 * <p>All fields are confined to the I/O thread except {@link #state} and {@link #transport}
 * (volatile, for {@link AgentClient}); the public entry points ({@link #start()},
 * {@link #enqueue}, {@link #close}) hop onto it.
 */
final class Supervisor implements Connection.Events, HttpPolling.Events {

  private static final Logger log = LoggerFactory.getLogger(Supervisor.class);

  private final AgentConfig config;
  private final ScheduledThreadPoolExecutor io;
  private final HttpClient http;
  private final Outbox outbox;
  private final AckBatcher acks;
  private final Inbound inbound;
  private final Callbacks callbacks;
  private final ReconnectPolicy policy;
  private final SendRate sendRate;
  private final TransportPolicy transportPolicy;
  private final SplittableRandom random = new SplittableRandom();
  private ScheduledFuture<?> pacedFlush;
  private final CompletableFuture<StopReason> terminated = new CompletableFuture<>();
  private volatile AgentClient.State state = AgentClient.State.NEW;
  private volatile Transport transport = Transport.WEBSOCKET;
  private Connection connection;
  private HttpPolling polling;
  private ScheduledFuture<?> reconnectTimer;
  private ScheduledFuture<?> probeTimer;
  private StopReason stopping;
  private boolean closingAcksSent;

  Supervisor(AgentConfig config, Outbox outbox, DeliveredIds delivered, HandlerLanes lanes, Callbacks callbacks,
             Replier replier) {
    this.config = config;
    this.outbox = outbox;
    this.callbacks = callbacks;
    this.io = new ScheduledThreadPoolExecutor(1, new Threads("aegis-agent-io-" + config.agentId()));
    io.setRemoveOnCancelPolicy(true);
    HttpClient.Builder hb = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(config.connectTimeout());
    if (config.sslContext() != null) {
      hb.sslContext(config.sslContext());
    }
    this.http = hb.build();
    this.sendRate = new SendRate(config.sendRate(), System::nanoTime);
    this.acks = new AckBatcher(io, config.ackDelay(), config.ackBatchSize(), this::sendAck);
    this.policy = new ReconnectPolicy(new Backoff(config.backoffBase(), config.backoffCap(), random.split()),
        new Backoff(config.longBackoffBase(), config.longBackoffCap(), random.split()), AgentConfig.STABLE_SESSION);
    this.transportPolicy = new TransportPolicy(config.httpFallback(), config.fallbackAfter(), config.probeInterval(),
        AgentConfig.STABLE_SESSION, random.split());
    this.inbound = new Inbound(config, outbox, acks, delivered, lanes, callbacks, replier, new Backpressure(),
        this::execute);
  }

  AgentClient.State state() {
    return state;
  }

  Transport transport() {
    return transport;
  }

  PinnedBackendKeys pins() {
    return inbound.pins();
  }

  /** Completed (on the I/O thread) once the client stopped; the value says why. */
  CompletableFuture<StopReason> terminated() {
    return terminated;
  }

  /** Runs a task on the I/O thread; dropped once the client has shut down. */
  void execute(Runnable task) {
    try {
      io.execute(task);
    } catch (RejectedExecutionException e) {
      log.debug("agent {}: client shut down; task dropped", config.agentId());
    }
  }

  void start() {
    execute(this::connect);
  }

  // ------------------------------------------------------------------ outbox

  /**
   * Queues a message whose outbox slot is reserved; fails it if the client stopped meanwhile.
   *
   * @param timeout how long it may wait for the gateway, or zero for no limit
   */
  void enqueue(OutgoingMessage m, Duration timeout, String timeoutMessage) {
    try {
      io.execute(() -> {
        if (stopping != null) {
          outbox.release();
          failStopped(m, stopping);
          return;
        }
        outbox.add(m);
        if (!timeout.isZero()) {
          m.timeout = io.schedule(() -> inbound.timedOut(m, timeoutMessage), timeout.toMillis(), TimeUnit.MILLISECONDS);
        }
        flush();
      });
    } catch (RejectedExecutionException e) {
      outbox.release();
      failStopped(m, StopReason.CLOSED);
    }
  }

  private void failStopped(OutgoingMessage m, StopReason reason) {
    AgentStoppedException e = new AgentStoppedException(reason);
    callbacks.fail(m.acked, e);
    if (m.response != null) {
      callbacks.fail(m.response, e);
    }
  }

  /**
   * Writes queued messages: into the WebSocket session while it is open, the socket keeps up and
   * the send rate allows; or, on HTTP polling, into the next post when none is in flight.
   */
  private void flush() {
    if (connection != null && connection.isOpen()) {
      flushSocket();
    } else if (polling != null && polling.canPost()) {
      flushPost();
    }
  }

  private void flushSocket() {
    while (connection != null && connection.isOpen() && connection.framesAhead() < AgentConfig.MAX_FRAMES_AHEAD) {
      if (!outbox.hasQueued()) {
        return;
      }
      if (!paced()) {
        return;
      }
      OutgoingMessage m = outbox.pollQueued();
      outbox.markInFlight(m);
      try {
        connection.send(m);
      } catch (IllegalStateException | IllegalArgumentException e) {
        unsendable(m, e);
      }
    }
  }

  /** One post: pending acks, then queued messages within the post's bounds and the send rate. */
  private void flushPost() {
    List<OutgoingMessage> batch = new ArrayList<>();
    long bytes = 0;
    while (batch.size() < HttpPolling.POST_MAX_MESSAGES && outbox.hasQueued()) {
      OutgoingMessage next = outbox.peekQueued();
      long estimate = estimate(next);
      if (!batch.isEmpty() && bytes + estimate > HttpPolling.POST_BUDGET_BYTES) {
        break;
      }
      if (!paced()) {
        break;
      }
      outbox.pollQueued();
      outbox.markInFlight(next);
      batch.add(next);
      bytes += estimate;
    }
    if (!batch.isEmpty() || polling.hasAcks()) {
      polling.post(batch);
    }
  }

  /** Takes one token of the send rate; if none is left, schedules a flush for when there is. */
  private boolean paced() {
    if (sendRate.tryTake()) {
      return true;
    }
    if (pacedFlush == null || pacedFlush.isDone()) {
      pacedFlush = io.schedule(this::flush, sendRate.millisUntilNext(), TimeUnit.MILLISECONDS);
    }
    return false;
  }

  /** An upper bound of a message's sealed JSON: base64 of body and signature block, envelope, headers. */
  private static long estimate(OutgoingMessage m) {
    long n = 4L * ((m.body.length + 200 + 2) / 3) + 512 + m.id.length() + m.type.length() + m.channel.length();
    for (Map.Entry<String, String> h : m.headers.entrySet()) {
      n += 6L * (h.getKey().length() + h.getValue().length()) + 8;
    }
    return n;
  }

  /** A message that cannot be sealed (too large for a frame, an invalid header): fails it. */
  @Override
  public void unsendable(OutgoingMessage m, RuntimeException e) {
    if (outbox.remove(m.id) != null) {
      if (m.timeout != null) {
        m.timeout.cancel(false);
      }
      IllegalArgumentException refused = new IllegalArgumentException("message " + m.id + " cannot be sent: "
          + e.getMessage(), e);
      callbacks.fail(m.acked, refused);
      if (m.response != null) {
        callbacks.fail(m.response, refused);
      }
    }
  }

  private void sendAck(byte[] body) {
    if (connection != null && connection.isOpen()) {
      connection.sendControl(MessageTypes.ACK, body);
    } else if (polling != null) {
      polling.queueAck(body); // posted once the HTTP session works (again)
      flush();
    } else {
      log.debug("agent {}: not connected; acknowledgements dropped (the gateway will redeliver)", config.agentId());
    }
  }

  // ------------------------------------------------------------------ connection lifecycle

  /** Opens a WebSocket: a (re)connect, or a probe while on HTTP polling. */
  private void connect() {
    if (stopping != null || connection != null) {
      return;
    }
    reconnectTimer = null;
    probeTimer = null;
    if (transport == Transport.WEBSOCKET) {
      state = AgentClient.State.CONNECTING;
    }
    log.debug("agent {}: {} {}", config.agentId(), transport == Transport.WEBSOCKET ? "connecting to"
        : "probing the WebSocket at", config.endpoint());
    connection = new Connection(config, inbound.pins(), http, io, this);
    if (inbound.backlogged()) {
      connection.pauseReading();
    }
    connection.open();
  }

  @Override
  public void established(Connection c, SessionInfo session, IdentityPublicKey backendKey) {
    if (c != connection) {
      return;
    }
    List<byte[]> pendingAcks = List.of();
    if (transport == Transport.HTTP_POLLING) {
      pendingAcks = leavePolling();
    }
    inbound.sessionSignedBy(backendKey);
    state = AgentClient.State.CONNECTED;
    callbacks.connected(session);
    for (byte[] body : pendingAcks) {
      connection.sendControl(MessageTypes.ACK, body);
    }
    flush();
  }

  @Override
  public void record(Connection c, OpenedRecord r) {
    if (c == connection) {
      record(r);
    }
  }

  @Override
  public void record(OpenedRecord r) {
    if (state == AgentClient.State.STOPPED) {
      return;
    }
    try {
      inbound.onRecord(r);
    } catch (RuntimeException e) {
      log.error("agent {}: failed to process record {} ({} on {})", config.agentId(), r.id(), r.type(), r.channel(), e);
      callbacks.error(e);
    }
  }

  @Override
  public void writable(Connection c) {
    if (c == connection) {
      flush();
    }
  }

  @Override
  public void ended(Connection c, Disconnect d) {
    if (c != connection) {
      return;
    }
    connection = null;
    if (transport == Transport.HTTP_POLLING) {
      probeEnded(d);
      return;
    }
    acks.clear();
    outbox.requeueInFlight();
    log.info("agent {}: disconnected: {} {}", config.agentId(), d.code(), d.reason());
    if (d.cause() instanceof HandshakeException) {
      callbacks.error(d.cause());
    }
    callbacks.disconnected(d.code(), d.reason());
    if (stopping != null) {
      finishStop();
      return;
    }
    ReconnectPolicy.Decision decision = policy.decide(d);
    if (decision.reaction() == CloseCode.Reaction.STOP) {
      stoppedByGateway(d);
      return;
    }
    if (transportPolicy.fallBackAfter(d)) {
      enterPolling();
      return;
    }
    state = AgentClient.State.WAITING;
    log.info("agent {}: reconnecting in {} ms ({})", config.agentId(), decision.delay().toMillis(),
        decision.reaction());
    callbacks.reconnecting(decision.delay(), decision.reaction());
    reconnectTimer = io.schedule(this::connect, decision.delay().toMillis(), TimeUnit.MILLISECONDS);
  }

  private void stoppedByGateway(Disconnect d) {
    StopReason reason = d.code() == CloseCode.REPLACED.code() ? StopReason.REPLACED : StopReason.REVOKED;
    log.warn("agent {}: stopped by the gateway ({} {}); not reconnecting", config.agentId(), d.code(), d.reason());
    stopping = reason;
    finishStop();
  }

  // ------------------------------------------------------------------ HTTP polling

  private void enterPolling() {
    transport = Transport.HTTP_POLLING;
    state = AgentClient.State.CONNECTING;
    log.warn("agent {}: {} consecutive WebSocket failures; falling back to HTTP polling at {} (probing the "
        + "WebSocket every ~{} ms)", config.agentId(), transportPolicy.failures(), config.httpBase(),
        config.probeInterval().toMillis());
    callbacks.transportChanged(Transport.HTTP_POLLING);
    polling = new HttpPolling(config, http, io, inbound::pins, this, random.split());
    polling.start();
    scheduleProbe();
  }

  /** A probe's WebSocket session is established: polling ends. Returns the acks not yet posted. */
  private List<byte[]> leavePolling() {
    cancelProbe();
    List<byte[]> left = polling.retire();
    polling = null;
    transport = Transport.WEBSOCKET;
    transportPolicy.reset();
    policy.reset();
    log.info("agent {}: the WebSocket works again; HTTP polling stopped", config.agentId());
    callbacks.transportChanged(Transport.WEBSOCKET);
    return left;
  }

  private void scheduleProbe() {
    Duration d = transportPolicy.nextProbeDelay();
    probeTimer = io.schedule(this::connect, d.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void cancelProbe() {
    if (probeTimer != null) {
      probeTimer.cancel(false);
      probeTimer = null;
    }
  }

  /** A WebSocket probe made while polling ended before its session was established. */
  private void probeEnded(Disconnect d) {
    if (stopping != null) {
      finishStop();
      return;
    }
    if (d.reaction() == CloseCode.Reaction.STOP) {
      stoppedByGateway(d);
      return;
    }
    log.info("agent {}: WebSocket probe failed ({} {}); still polling", config.agentId(), d.code(), d.reason());
    if (d.cause() instanceof HandshakeException) {
      callbacks.error(d.cause());
    }
    scheduleProbe();
  }

  @Override
  public void established(SessionInfo session, IdentityPublicKey backendKey) {
    if (transport == Transport.HTTP_POLLING && stopping == null) {
      // Asked for the first pin, as a handshake does: the same conclusion from the signer.
      inbound.sessionSignedBy(backendKey);
      callbacks.connected(session);
    }
  }

  @Override
  public void requeue(List<OutgoingMessage> messages) {
    outbox.requeue(messages);
    flush();
  }

  @Override
  public void refused(List<OutgoingMessage> messages, String code, String message) {
    for (OutgoingMessage m : messages) {
      if (outbox.remove(m.id) == null) {
        continue;
      }
      if (m.timeout != null) {
        m.timeout.cancel(false);
      }
      MessageRefusedException e = new MessageRefusedException(m.id, code, message);
      callbacks.fail(m.acked, e);
      if (m.response != null) {
        callbacks.fail(m.response, e);
      }
    }
  }

  @Override
  public void writable() {
    flush();
  }

  @Override
  public void revoked() {
    stopPolling(StopReason.REVOKED, "the gateway revoked the agent's HTTP session; stopping (revoked)");
  }

  @Override
  public void replaced() {
    stopPolling(StopReason.REPLACED, "a newer HTTP session of this agent replaced this one (another instance); "
        + "stopping (replaced)");
  }

  /** Stops for good while on HTTP polling: the gateway's answer is the close code 4003 or 4004 of HTTP. */
  private void stopPolling(StopReason reason, String why) {
    if (stopping != null) {
      return;
    }
    log.warn("agent {}: {}", config.agentId(), why);
    stopping = reason;
    if (connection != null) {
      connection.abort("agent " + reason.name().toLowerCase(java.util.Locale.ROOT)); // ends the probe; ended() finishes
    } else {
      finishStop();
    }
  }

  @Override
  public void state(AgentClient.State s) {
    if (transport == Transport.HTTP_POLLING && stopping == null) {
      state = s;
    }
  }

  @Override
  public void error(Throwable e) {
    callbacks.error(e);
  }

  @Override
  public boolean backlogged() {
    return inbound.backlogged();
  }

  // ------------------------------------------------------------------ stopping

  /**
   * Closes the client: waits up to {@code drain} for the outbox to be acknowledged (only while a
   * session is open), flushes acknowledgements, closes the session with 1000, fails what is
   * left. Returns at once; {@link #terminated()} completes when done.
   */
  void close(Duration drain) {
    execute(() -> {
      if (stopping != null) {
        return;
      }
      stopping = StopReason.CLOSED;
      if (reconnectTimer != null) {
        reconnectTimer.cancel(false);
      }
      long deadline = System.nanoTime() + drain.toNanos();
      drainThenClose(deadline);
    });
  }

  private void drainThenClose(long deadline) {
    if (polling != null) {
      drainPollingThenClose(deadline);
      return;
    }
    if (connection == null) {
      finishStop();
      return;
    }
    if (connection.isOpen() && outbox.size() > 0 && System.nanoTime() < deadline) {
      io.schedule(() -> drainThenClose(deadline), 10, TimeUnit.MILLISECONDS);
      return;
    }
    if (connection.isOpen()) {
      acks.flush();
    }
    connection.closeWith(1000, "agent closing", null);
  }

  /**
   * {@link #drainThenClose} on HTTP polling: waits for the outbox while the session works, posts
   * the acknowledgements, waits for the last post, then stops (dropping a probe in progress).
   */
  private void drainPollingThenClose(long deadline) {
    boolean inTime = System.nanoTime() < deadline;
    if (inTime && polling.ready() && outbox.size() > 0) {
      io.schedule(() -> drainThenClose(deadline), 10, TimeUnit.MILLISECONDS);
      return;
    }
    if (!closingAcksSent) {
      closingAcksSent = true;
      acks.flush();
      flush();
    }
    if (inTime && polling.ready() && (polling.posting() || polling.hasAcks())) {
      io.schedule(() -> drainThenClose(deadline), 10, TimeUnit.MILLISECONDS);
      return;
    }
    polling.retire();
    polling = null;
    if (connection != null) {
      connection.abort("agent closing"); // ended() finishes the stop
    } else {
      finishStop();
    }
  }

  private void finishStop() {
    state = AgentClient.State.STOPPED;
    connection = null;
    if (reconnectTimer != null) {
      reconnectTimer.cancel(false);
    }
    cancelProbe();
    if (polling != null) {
      polling.retire();
      polling = null;
    }
    acks.clear();
    for (OutgoingMessage m : outbox.drain()) {
      if (m.timeout != null) {
        m.timeout.cancel(false);
      }
      failStopped(m, stopping);
    }
    callbacks.stopped(stopping);
    terminated.complete(stopping);
  }

  /** Ends the I/O thread and the HTTP client (after {@link #terminated()}, or on timeout). */
  void shutdown() {
    io.shutdownNow();
    http.shutdownNow();
  }

  private final class Backpressure implements Inbound.Backpressure {
    @Override
    public void pause() {
      if (connection != null) {
        connection.pauseReading();
      }
    }

    @Override
    public void resume() {
      if (connection != null) {
        connection.resumeReading();
      }
      if (polling != null) {
        polling.poll();
      }
    }
  }
}
