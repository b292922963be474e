package io.aegis.bench.agent;

import io.aegis.protocol.MessageTypes;
import io.aegis.protocol.PinnedBackendKeys;
import io.aegis.protocol.handshake.ClientHandshake;
import io.aegis.protocol.record.OpenedRecord;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import java.net.URI;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Thousands of {@link SimulatedAgent}s multiplexed over a few event loops: one Vert.x instance,
 * one {@link WebSocketClient} per local source address (127.0.0.2, 127.0.0.3, … so that one
 * address's ~28k ephemeral ports are not the limit), agents spread round-robin over addresses and
 * event loops. No thread per agent.
 *
 * <p>The fleet starts connections through its {@link Launcher} (at a given rate, with a bound on
 * attempts in flight), retries failed attempts after a {@link Backoff}, and optionally reconnects
 * sessions that the gateway ends. Scenarios observe it through {@link #stats()}, an
 * {@link Events} listener and a {@link MessageListener}.
 *
 * <p>Thread-safe, except that the listeners are set before connecting.
 */
public final class AgentFleet implements AutoCloseable {

  /** Receives every accepted (verified, unless verification is off) message. Called on event loops. */
  public interface MessageListener {
    MessageListener NONE = (agent, record, receivedNanos) -> { };

    void onMessage(SimulatedAgent agent, OpenedRecord record, long receivedNanos);
  }

  /** Connection events. Called on event loops; keep them short. */
  public interface Events {
    Events NONE = new Events() { };

    /** A session opened, {@code handshakeNanos} after its attempt started. */
    default void onOpen(SimulatedAgent agent, long handshakeNanos) { }

    /** An open session ended without the bench asking ({@code code}: the close code, 1006 for none). */
    default void onLost(SimulatedAgent agent, int code) { }
  }

  /**
   * How the fleet connects.
   *
   * @param gateway          the gateway's base URL ({@code http://host:port})
   * @param websocketPath    the upgrade path ({@code /ws/agent})
   * @param backendKeys      the pinned backend key(s)
   * @param verify           verify command signatures in agents (false = {@code --no-verify})
   * @param sourceAddresses  local addresses to connect from, round-robin
   * @param eventLoops       Vert.x event loops for the agents
   * @param retry            delay before retrying a failed attempt (and before reconnecting a lost session)
   * @param reconnectLost    reconnect sessions the gateway ends (except 4003 revoked and 4004 replaced)
   * @param connectTimeout   TCP connect timeout
   * @param maxFrameBytes    largest frame an agent accepts
   */
  public record Settings(List<URI> gateways, String websocketPath, PinnedBackendKeys backendKeys, boolean verify,
                         List<String> sourceAddresses, int eventLoops, Backoff retry, boolean reconnectLost,
                         Duration connectTimeout, int maxFrameBytes) {
    /** The first gateway (the only one, but for a spawned cluster). */
    public URI gateway() {
      return gateways.get(0);
    }
  }

  private final Settings settings;
  private final Vertx vertx;
  private final List<Context> contexts = new ArrayList<>();
  private final Map<Context, SecureRandom> randoms = Collections.synchronizedMap(new IdentityHashMap<>());
  private final List<WebSocketClient> clients = new ArrayList<>();
  private final java.util.Set<Integer> down = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private final List<SimulatedAgent> agents = new ArrayList<>();
  private final FleetStats stats = new FleetStats();
  private final Launcher launcher;
  private volatile MessageListener listener = MessageListener.NONE;
  private volatile Events events = Events.NONE;
  private volatile boolean acknowledge = true;
  private volatile boolean stopping;

  public AgentFleet(Settings settings, List<AgentIdentity> identities) {
    this.settings = settings;
    this.vertx = Vertx.builder().with(new VertxOptions()
        .setEventLoopPoolSize(settings.eventLoops())
        .setWarningExceptionTime(10).setWarningExceptionTimeUnit(TimeUnit.SECONDS)
        .setBlockedThreadCheckInterval(5).setBlockedThreadCheckIntervalUnit(TimeUnit.SECONDS)).build();
    // Called from a non-Vert.x thread, each call makes a context on the next event loop.
    for (int i = 0; i < settings.eventLoops(); i++) {
      Context c = vertx.getOrCreateContext();
      contexts.add(c);
      randoms.put(c, new SecureRandom());
    }
    // One client per node and source address: agent i talks to node i mod N (see client()).
    for (URI gateway : settings.gateways()) {
      int port = gateway.getPort() > 0 ? gateway.getPort() : "https".equals(gateway.getScheme()) ? 443 : 80;
      for (String address : settings.sourceAddresses()) {
        WebSocketClientOptions o = new WebSocketClientOptions()
            .setDefaultHost(gateway.getHost())
            .setDefaultPort(port)
            .setSsl("https".equals(gateway.getScheme()))
            .setTrustAll(true).setVerifyHost(false) // a benchmark of the protocol, not of PKI
            .setMaxConnections(Math.max(64, identities.size()))
            .setMaxMessageSize(settings.maxFrameBytes())
            .setMaxFrameSize(settings.maxFrameBytes())
            .setConnectTimeout((int) settings.connectTimeout().toMillis())
            .setClosingTimeout(2);
        if (!address.isEmpty()) {
          o.setLocalAddress(address);
        }
        clients.add(vertx.createWebSocketClient(o));
      }
    }
    for (int i = 0; i < identities.size(); i++) {
      agents.add(new SimulatedAgent(this, identities.get(i), i, contexts.get(i % contexts.size())));
    }
    this.launcher = new Launcher(vertx);
  }

  public List<SimulatedAgent> agents() {
    return agents;
  }

  public FleetStats stats() {
    return stats;
  }

  public Settings settings() {
    return settings;
  }

  public Vertx vertx() {
    return vertx;
  }

  public Launcher launcher() {
    return launcher;
  }

  public void listener(MessageListener listener) {
    this.listener = listener;
  }

  public void events(Events events) {
    this.events = events;
  }

  /** Whether agents acknowledge the messages they accept (default true). */
  public void acknowledge(boolean acknowledge) {
    this.acknowledge = acknowledge;
  }

  /** Agents open a session at {@code ratePerSecond} (0 = as fast as possible) with at most {@code maxInFlight} attempts at once. */
  public void connectAll(double ratePerSecond, int maxInFlight) {
    launcher.configure(ratePerSecond, maxInFlight);
    launcher.submitAll(agents);
  }

  /** Waits until {@code target} sessions are open or {@code timeout} passes; true if reached. */
  public boolean awaitOpen(int target, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (stats.open.get() < target) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.sleep(5);
    }
    return true;
  }

  /**
   * Closes every session normally (close frame 1000), cancels queued attempts, and waits (up to
   * 10 s) for the fleet to be idle. Agents may connect again afterwards.
   */
  public void closeAll() throws InterruptedException {
    stopping = true;
    try {
      launcher.clear();
      for (SimulatedAgent a : agents) {
        a.close();
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while ((stats.open.get() > 0 || stats.inFlight.get() > 0) && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      Thread.sleep(100); // late retry timers find the queue cleared only after this
      launcher.clear();
    } finally {
      stopping = false;
    }
  }

  // ------------------------------------------------------------------ for agents

  boolean verify() {
    return settings.verify();
  }

  PinnedBackendKeys backendKeys() {
    return settings.backendKeys();
  }

  MessageListener listener() {
    return listener;
  }

  boolean acknowledges(OpenedRecord r) {
    String t = r.type();
    return acknowledge && !t.equals(MessageTypes.ACK) && !t.equals(MessageTypes.ERROR) && !t.equals(MessageTypes.RESPONSE);
  }

  WebSocketClient client(int agentIndex) {
    int nodes = settings.gateways().size();
    int addresses = clients.size() / nodes;
    return clients.get(nodeOf(agentIndex) * addresses + (agentIndex / nodes) % addresses);
  }

  /**
   * The node (index into {@link Settings#gateways}) agent {@code agentIndex} connects to: node
   * {@code agentIndex} mod N, or, while that node is marked down, one of the others (the agents of
   * a down node spread over the rest, as a load balancer that has taken a node out sends them).
   */
  public int nodeOf(int agentIndex) {
    int nodes = settings.gateways().size();
    int home = homeOf(agentIndex);
    if (!down.contains(home) || down.size() >= nodes) {
      return home;
    }
    List<Integer> up = new ArrayList<>();
    for (int i = 0; i < nodes; i++) {
      if (!down.contains(i)) {
        up.add(i);
      }
    }
    return up.get((agentIndex / nodes) % up.size());
  }

  /** The node {@code agentIndex} connects to while every node is up. */
  public int homeOf(int agentIndex) {
    return agentIndex % settings.gateways().size();
  }

  /** Takes {@code node} out of rotation: new connection attempts go to the other nodes. */
  public void markDown(int node) {
    down.add(node);
  }

  ClientHandshake.Config handshakeConfig(AgentIdentity identity, Context context) {
    return new ClientHandshake.Config(identity.agentId(), identity.key(), settings.backendKeys(), Clock.systemUTC(),
        randoms.get(context), settings.maxFrameBytes());
  }

  WebSocketConnectOptions connectOptions(AgentIdentity identity) {
    return new WebSocketConnectOptions()
        .setURI(settings.websocketPath())
        .putHeader("X-Agent-ID", identity.agentId())
        .putHeader("X-Agent-Public-Key", identity.publicKeyBase64())
        .putHeader("User-Agent", "Aegis-Agent/1.0 (aegis-bench)");
  }

  void onOpen(SimulatedAgent agent, long handshakeNanos) {
    events.onOpen(agent, handshakeNanos);
  }

  void onAttemptFailed(SimulatedAgent agent, String reason) {
    if (!stopping) {
      launcher.submitLater(agent, settings.retry().delayMillis(agent.attempt() - 1));
    }
  }

  void onLost(SimulatedAgent agent, int code) {
    events.onLost(agent, code);
    if (!stopping && settings.reconnectLost() && code != 4003 && code != 4004) {
      launcher.submitLater(agent, settings.retry().delayMillis(0));
    }
  }

  @Override
  public void close() {
    stopping = true;
    launcher.close();
    for (WebSocketClient c : clients) {
      c.close();
    }
    try {
      vertx.close().await(10, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException | RuntimeException e) {
      // shutting down anyway
    }
  }
}
