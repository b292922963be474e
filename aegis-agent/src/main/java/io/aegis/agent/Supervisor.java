package io.aegis.agent;

import io.aegis.protocol.CloseCode;
import io.aegis.protocol.IdentityPublicKey;
import io.aegis.protocol.MessageTypes;
import io.aegis.protocol.PinnedBackendKeys;
import io.aegis.protocol.handshake.HandshakeException;
import io.aegis.protocol.record.OpenedRecord;
import java.net.http.HttpClient;
import java.time.Duration;
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
 * <p>All fields are confined to the I/O thread except {@link #state} (volatile, for
 * {@link AgentClient#state()}); the public entry points ({@link #start()}, {@link #enqueue},
 * {@link #close}) hop onto it.
 */
final class Supervisor implements Connection.Events {

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
  private ScheduledFuture<?> pacedFlush;
  private final CompletableFuture<StopReason> terminated = new CompletableFuture<>();
  private volatile AgentClient.State state = AgentClient.State.NEW;
  private Connection connection;
  private ScheduledFuture<?> reconnectTimer;
  private StopReason stopping;

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
    SplittableRandom random = new SplittableRandom();
    this.policy = new ReconnectPolicy(new Backoff(config.backoffBase(), config.backoffCap(), random.split()),
        new Backoff(config.longBackoffBase(), config.longBackoffCap(), random.split()), AgentConfig.STABLE_SESSION);
    this.inbound = new Inbound(config, outbox, acks, delivered, lanes, callbacks, replier, new Backpressure(),
        this::execute);
  }

  AgentClient.State state() {
    return state;
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

  /** Writes queued messages while the session is open, the socket keeps up and the send rate allows. */
  private void flush() {
    while (connection != null && connection.isOpen() && connection.framesAhead() < AgentConfig.MAX_FRAMES_AHEAD) {
      if (!outbox.hasQueued()) {
        return;
      }
      if (!sendRate.tryTake()) {
        if (pacedFlush == null || pacedFlush.isDone()) {
          pacedFlush = io.schedule(this::flush, sendRate.millisUntilNext(), TimeUnit.MILLISECONDS);
        }
        return;
      }
      OutgoingMessage m = outbox.pollQueued();
      outbox.markInFlight(m);
      try {
        connection.send(m);
      } catch (IllegalStateException | IllegalArgumentException e) {
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
    }
  }

  private void sendAck(byte[] body) {
    if (connection != null && connection.isOpen()) {
      connection.sendControl(MessageTypes.ACK, body);
    } else {
      log.debug("agent {}: not connected; acknowledgements dropped (the gateway will redeliver)", config.agentId());
    }
  }

  // ------------------------------------------------------------------ connection lifecycle

  private void connect() {
    if (stopping != null) {
      return;
    }
    reconnectTimer = null;
    state = AgentClient.State.CONNECTING;
    log.debug("agent {}: connecting to {}", config.agentId(), config.endpoint());
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
    inbound.sessionSignedBy(backendKey);
    state = AgentClient.State.CONNECTED;
    callbacks.connected(session);
    flush();
  }

  @Override
  public void record(Connection c, OpenedRecord r) {
    if (c != connection) {
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
      StopReason reason = d.code() == CloseCode.REPLACED.code() ? StopReason.REPLACED : StopReason.REVOKED;
      log.warn("agent {}: stopped by the gateway ({} {}); not reconnecting", config.agentId(), d.code(), d.reason());
      stopping = reason;
      finishStop();
      return;
    }
    state = AgentClient.State.WAITING;
    log.info("agent {}: reconnecting in {} ms ({})", config.agentId(), decision.delay().toMillis(),
        decision.reaction());
    callbacks.reconnecting(decision.delay(), decision.reaction());
    reconnectTimer = io.schedule(this::connect, decision.delay().toMillis(), TimeUnit.MILLISECONDS);
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

  private void finishStop() {
    state = AgentClient.State.STOPPED;
    connection = null;
    if (reconnectTimer != null) {
      reconnectTimer.cancel(false);
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
    }
  }
}
