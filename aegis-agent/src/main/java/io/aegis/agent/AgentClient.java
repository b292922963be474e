package io.aegis.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.aegis.protocol.Identifiers;
import io.aegis.protocol.MessageTypes;
import io.aegis.protocol.PinnedBackendKeys;
import io.aegis.protocol.Protocol;
import io.aegis.protocol.record.CommandSigner;
import io.aegis.protocol.record.SignedCommand;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent side of an Aegis session: one outbound WebSocket to the gateway, mutually
 * authenticated (Ed25519) and end-to-end encrypted (ChaCha20-Poly1305), kept up for the life of
 * the agent.
 *
 * <pre>{@code
 * AgentClient client = AgentClient.builder()
 *     .backend("https://gateway.example.com")
 *     .agentId("host-42")
 *     .identityFile(Path.of("/etc/aegis/agent.key"))
 *     .backendKeys("l7Q…base64…=")                       // the pinned backend key(s)
 *     .onMessage("commands", m -> run(m.json()))
 *     .listener(new Listener() {
 *       public void stopped(StopReason r) { alertOperator(r); }
 *     })
 *     .build()
 *     .start();
 * client.sendEvent("process_started", body).join();    // completes on the gateway's ack
 * }</pre>
 *
 * <h2>Lifecycle</h2>
 * {@link AgentClientBuilder#build()} creates a client in state {@link State#NEW}; {@link #start()}
 * connects, and from then on the client keeps a session up on its own: it reconnects with
 * exponential backoff and full jitter after network failures and most close codes, at once
 * (fresh handshake) when the session expired, with a long backoff after an authentication
 * failure or rate limiting, and stops for good when the agent was revoked or replaced by
 * another instance ({@link Listener#stopped}, {@link #stopped()}). {@link #close()} ends it.
 * Messages may be sent before {@link #start()} and while disconnected: they wait in the outbox.
 *
 * <h2>Transports</h2>
 * After {@link AgentClientBuilder#fallbackAfter(int) repeated WebSocket failures} the client
 * falls back to HTTP polling (PROTOCOL.md §17): an HTTP session from {@code POST /api/v1/auth},
 * long polls for the gateway's messages and sealed posts for the agent's, with the same
 * verification, de-duplication, handlers and futures as over WebSocket. It probes the WebSocket
 * every {@link AgentClientBuilder#websocketProbeInterval(Duration)} and returns once a WebSocket
 * session is established. {@link #transport()} tells which is in use;
 * {@link Listener#transportChanged} reports switches. Over HTTP polling the agent counts as
 * revoked when the gateway refuses its session token and then a fresh authentication.
 *
 * <h2>Delivery</h2>
 * Backend messages are verified (signature by a pinned backend key, audience, expiry) and
 * de-duplicated by message id, so each {@link MessageHandler} sees a message once although the
 * gateway delivers at least once; each is acknowledged when its handler returns. Messages this
 * agent sends complete their future when the gateway has committed them ({@code ack}); they are
 * resent with the same id after a reconnect until then.
 *
 * <h2>Threading</h2>
 * <ul>
 * <li>One internal I/O thread owns the connection, the record layer and all protocol state;
 *     no application code ever runs on it.</li>
 * <li>Handlers run on the handler executor: by default one thread of the client's own, which
 *     preserves the gateway's per-agent FIFO order across channels; with
 *     {@link AgentClientBuilder#handlerExecutor} an executor of yours, with FIFO order per channel
 *     and channels in parallel. Never two handler calls for the same channel at once.</li>
 * <li>One callback thread calls the {@link Listener} and completes the futures returned here;
 *     do not block it on another of those futures (use {@code ...Async} stages).</li>
 * <li>All public methods are thread-safe. The client's threads are daemon threads: keep your
 *     application alive (for example wait on {@link #stopped()}).</li>
 * </ul>
 */
public final class AgentClient implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(AgentClient.class);

  /** Types the protocol uses itself; not for {@link #send}. */
  private static final Set<String> RESERVED_TYPES = Set.of(MessageTypes.ACK, MessageTypes.ERROR,
      MessageTypes.SESSION, MessageTypes.KEY_UPDATE, MessageTypes.SUBSCRIBE, MessageTypes.UNSUBSCRIBE,
      MessageTypes.BACKEND_KEY);

  /** The channel of agent events ({@link #sendEvent}). */
  public static final String EVENTS_CHANNEL = "events";

  /** Where the client is in its life. */
  public enum State {
    /** Built, not started. */
    NEW,
    /** Upgrading or in the handshake (on HTTP polling: authenticating). */
    CONNECTING,
    /** A session is established (on HTTP polling: authenticated, and polls work). */
    CONNECTED,
    /** Waiting to reconnect (backoff; on HTTP polling: after a failed request). */
    WAITING,
    /** Stopped for good: revoked, replaced or closed. */
    STOPPED
  }

  private final AgentConfig config;
  private final CommandSigner signer;
  private final Outbox outbox;
  private final DeliveredIds delivered;
  private final ExecutorService ownedHandlerExecutor;
  private final Threads handlerThreads;
  private final Callbacks callbacks;
  private final Supervisor supervisor;
  private final CompletableFuture<StopReason> stopped = new CompletableFuture<>();
  private final AtomicBoolean started = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();

  AgentClient(AgentConfig config, DeliveredIds delivered, ExecutorService ownedHandlerExecutor,
              Threads handlerThreads) {
    this.config = config;
    this.signer = CommandSigner.agent(config.identity());
    this.outbox = new Outbox(config.outboxCapacity());
    this.delivered = delivered;
    this.ownedHandlerExecutor = ownedHandlerExecutor;
    this.handlerThreads = handlerThreads;
    this.callbacks = new Callbacks(config.listener(), config.agentId());
    HandlerLanes lanes = new HandlerLanes(config.handlerExecutor(), ownedHandlerExecutor == null);
    this.supervisor = new Supervisor(config, outbox, delivered, lanes, callbacks, this::reply);
    supervisor.terminated().thenAccept(r -> callbacks.complete(stopped, r));
  }

  /** A builder; see {@link AgentClientBuilder} for every setting and its default. */
  public static AgentClientBuilder builder() {
    return new AgentClientBuilder();
  }

  /** This agent's id. */
  public String agentId() {
    return config.agentId();
  }

  /**
   * The current state (a snapshot). On HTTP polling: {@link State#CONNECTING} while
   * authenticating, {@link State#CONNECTED} while polls work, {@link State#WAITING} while backing
   * off after a failed request.
   */
  public State state() {
    return supervisor.state();
  }

  /**
   * The transport in use now (a snapshot): {@link Transport#WEBSOCKET}, or
   * {@link Transport#HTTP_POLLING} after repeated WebSocket failures until a WebSocket session is
   * established again. Changes are reported by {@link Listener#transportChanged}.
   */
  public Transport transport() {
    return supervisor.transport();
  }

  /**
   * The backend keys pinned now, in order: the first is asked for in each handshake, the second
   * is accepted too. They start as configured and change on an announcement
   * ({@link Listener#backendKeyAnnounced}) or when a handshake is signed by the second pin
   * ({@link Listener#backendKeyPromoted}).
   */
  public PinnedBackendKeys pinnedBackendKeys() {
    return supervisor.pins();
  }

  /** Messages in the outbox: queued or waiting for the gateway's acknowledgement. */
  public int pendingMessages() {
    return outbox.size();
  }

  /**
   * Starts connecting (returns at once). Call once.
   *
   * @return this client
   * @throws IllegalStateException if already started or closed
   */
  public AgentClient start() {
    if (closed.get()) {
      throw new IllegalStateException("agent client is closed");
    }
    if (!started.compareAndSet(false, true)) {
      throw new IllegalStateException("agent client was already started");
    }
    supervisor.start();
    return this;
  }

  /** Same as {@link #send(String, String, JsonNode, Map)} without headers. */
  public CompletableFuture<Void> send(String channel, String type, JsonNode body) {
    return send(channel, type, body, Map.of());
  }

  /**
   * Sends a message to the backend: signed with the agent's identity key (unless
   * {@link AgentClientBuilder#signMessages(boolean) disabled}), queued in the outbox, written as
   * soon as a session is open, and resent with the same id after a reconnect until the gateway
   * acknowledges it.
   *
   * @param channel an application channel (not {@code control}), for example {@code events}
   * @param type    {@code event}, {@code request}, {@code response} or another application type
   * @param body    the JSON body
   * @param headers extra record headers (authenticated, not encrypted: no secrets)
   * @return completed when the gateway committed the message; failed, never thrown, with
   *     {@link OutboxFullException} at once when the outbox is full, {@link AgentStoppedException}
   *     when the client stopped, {@link MessageRefusedException} when the gateway refused it, or
   *     {@link TimeoutException} after {@link AgentClientBuilder#sendTimeout(Duration)} (the
   *     message may still have reached the gateway)
   * @throws IllegalArgumentException for an invalid or reserved channel or type, invalid headers,
   *     or a body too large for one frame (programming errors)
   */
  public CompletableFuture<Void> send(String channel, String type, JsonNode body, Map<String, String> headers) {
    checkApplication(channel, type);
    Identifiers.requireHeaders(headers);
    byte[] bytes = Json.bytes(Objects.requireNonNull(body, "body"));
    AgentException refused = reserve(bytes.length, headers);
    if (refused != null) {
      return CompletableFuture.failedFuture(refused);
    }
    return queue(type, channel, Map.copyOf(headers), bytes, config.signMessages(), false, config.sendTimeout(),
        "no acknowledgement from the gateway within " + config.sendTimeout()).acked;
  }

  /**
   * Sends one agent event on channel {@code events}:
   * {@code {"events":[{"type":eventType,"timestamp":<now, ms>,"body":body}]}}, as the gateway's
   * event store expects.
   */
  public CompletableFuture<Void> sendEvent(String eventType, JsonNode body) {
    Objects.requireNonNull(eventType, "eventType");
    ObjectNode envelope = Json.object();
    ObjectNode event = envelope.putArray("events").addObject();
    event.put("type", eventType);
    event.put("timestamp", config.clock().millis());
    event.set("body", Objects.requireNonNull(body, "body"));
    return send(EVENTS_CHANNEL, MessageTypes.EVENT, envelope);
  }

  /**
   * Sends a {@code request} and waits for the gateway's {@code response} (header
   * {@code in-reply-to}). For example {@code request("policy", {}, …)} returns the effective
   * policy set and {@code request("artifacts", {"since": cursor}, …)} the artifacts after a
   * cursor.
   *
   * @param timeout how long to wait for the response, from now (queued time included)
   * @return the response; failed like {@link #send}, or with {@link TimeoutException}
   */
  public CompletableFuture<AgentMessage> request(String channel, JsonNode body, Duration timeout) {
    checkApplication(channel, MessageTypes.REQUEST);
    if (timeout == null || timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("request timeout must be positive, was " + timeout);
    }
    byte[] bytes = Json.bytes(Objects.requireNonNull(body, "body"));
    AgentException refused = reserve(bytes.length, Map.of());
    if (refused != null) {
      return CompletableFuture.failedFuture(refused);
    }
    return queue(MessageTypes.REQUEST, channel, Map.of(), bytes, config.signMessages(), true, timeout,
        "no response from the gateway within " + timeout).response;
  }

  /**
   * Subscribes this agent to channels (a {@code subscribe} record on {@code control}). The
   * gateway keeps subscriptions per agent, across sessions.
   *
   * @return completed on the gateway's acknowledgement; failed with
   *     {@link MessageRefusedException} if it refused (for example an unknown channel)
   */
  public CompletableFuture<Void> subscribe(String... channels) {
    return subscription(MessageTypes.SUBSCRIBE, List.of(channels));
  }

  /** Unsubscribes this agent from channels; like {@link #subscribe(String...)}. */
  public CompletableFuture<Void> unsubscribe(String... channels) {
    return subscription(MessageTypes.UNSUBSCRIBE, List.of(channels));
  }

  private CompletableFuture<Void> subscription(String type, List<String> channels) {
    if (channels.isEmpty()) {
      throw new IllegalArgumentException("name at least one channel");
    }
    channels.forEach(Identifiers::requireChannel);
    byte[] body = Json.stringList("channels", channels);
    AgentException refused = reserve(body.length, Map.of());
    if (refused != null) {
      return CompletableFuture.failedFuture(refused);
    }
    return queue(type, Protocol.CONTROL_CHANNEL, Map.of(), body, false, false, config.sendTimeout(),
        "no acknowledgement from the gateway within " + config.sendTimeout()).acked;
  }

  /**
   * A future completed when the client stops for good, with the reason (on the callback
   * thread). Never completes while the client keeps reconnecting.
   */
  public CompletableFuture<StopReason> stopped() {
    return stopped.copy();
  }

  /**
   * Closes the client: waits up to {@link AgentClientBuilder#closeTimeout(Duration)} for messages
   * already sent to be acknowledged (if a session is open), acknowledges what the handlers
   * finished, closes the session (1000), fails what is left with {@link AgentStoppedException}
   * ({@link StopReason#CLOSED}), reports {@link Listener#stopped}, and ends the client's
   * threads. Handlers still running are not interrupted; their messages will be redelivered to
   * the next run and recognised if a {@link AgentClientBuilder#dedupFile(java.nio.file.Path) dedup file} is used.
   * Idempotent; safe to call from a handler or listener.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    Duration t = config.closeTimeout();
    supervisor.close(t);
    if (!callbacksOrHandlerThread()) {
      try {
        supervisor.terminated().get(t.toMillis() * 2 + 1000, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (ExecutionException | TimeoutException e) {
        log.warn("agent {}: close did not finish in time; dropping the connection", config.agentId());
      }
    }
    supervisor.shutdown();
    if (ownedHandlerExecutor != null) {
      ownedHandlerExecutor.shutdown();
    }
    callbacks.shutdown(t);
    try {
      delivered.close();
    } catch (IOException e) {
      log.warn("agent {}: closing the de-duplication file failed", config.agentId(), e);
    }
  }

  private boolean callbacksOrHandlerThread() {
    return handlerThreads != null && handlerThreads.isCurrent() || callbacks.onCallbackThread();
  }

  // ------------------------------------------------------------------ internals

  private static void checkApplication(String channel, String type) {
    Identifiers.requireChannel(channel);
    Identifiers.requireMessageType(type);
    if (Protocol.CONTROL_CHANNEL.equals(channel)) {
      throw new IllegalArgumentException("channel \"control\" is reserved for the protocol; use subscribe()/unsubscribe()");
    }
    if (RESERVED_TYPES.contains(type)) {
      throw new IllegalArgumentException("message type \"" + type + "\" is reserved for the protocol");
    }
  }

  /**
   * Takes an outbox slot, or says why not: the client stopped, or the outbox is full.
   *
   * @return {@code null} if a slot was taken, else the refusal to fail the future with
   */
  private AgentException reserve(int bodyLength, Map<String, String> headers) {
    // Rough upper bound of the sealed frame: base64 of body, signature block and tag, plus the
    // envelope and headers. The record layer checks exactly when sealing.
    long estimate = 4L * ((bodyLength + 200 + 2) / 3) + 2048 + headers.toString().length() * 2L;
    if (estimate > config.maxFrameBytes()) {
      throw new IllegalArgumentException("body of " + bodyLength + " bytes does not fit in one frame of at most "
          + config.maxFrameBytes() + " bytes");
    }
    if (closed.get() || supervisor.terminated().isDone()) {
      return new AgentStoppedException(supervisor.terminated().getNow(StopReason.CLOSED));
    }
    if (!outbox.tryReserve()) {
      return new OutboxFullException(outbox.capacity());
    }
    return null;
  }

  /** Builds (and signs) a message whose slot is reserved, and queues it. */
  private OutgoingMessage queue(String type, String channel, Map<String, String> headers, byte[] body, boolean sign,
                                boolean awaitResponse, Duration timeout, String timeoutMessage) {
    String id = MessageIds.next(config.clock().millis());
    SignedCommand signed = sign ? signer.agentMessage(id, type, channel, body) : null;
    OutgoingMessage m = new OutgoingMessage(id, type, channel, headers, body, signed,
        awaitResponse ? new CompletableFuture<>() : null);
    supervisor.enqueue(m, timeout, timeoutMessage);
    return m;
  }

  private CompletableFuture<Void> reply(String requestId, String channel, JsonNode body) {
    return send(channel, MessageTypes.RESPONSE, body, Map.of(AgentMessage.IN_REPLY_TO, requestId));
  }
}
