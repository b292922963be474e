package io.aegis.agent.testing;

import io.aegis.protocol.BackendKeyRing;
import io.aegis.protocol.IdentityKeyPair;
import io.aegis.protocol.IdentityPublicKey;
import io.aegis.protocol.PinnedBackendKeys;
import io.aegis.protocol.Protocol;
import io.aegis.protocol.handshake.ServerHandshake;
import io.aegis.protocol.record.CommandSigner;
import io.aegis.server.testing.Waits;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small in-process gateway for SDK tests: a Vert.x WebSocket server on port 0 that runs the
 * real protocol ({@link ServerHandshake}, {@code SecureChannel}) for one registered agent and lets
 * the test script everything else: refuse the upgrade with an HTTP status, fail or stall the
 * handshake, send signed commands, acks, errors, responses and key updates, close with any code.
 * Each accepted connection becomes a {@link GatewaySession}, in {@link #nextSession()} order.
 */
public final class ScriptedGateway implements AutoCloseable {

  /** What the gateway does with the next handshakes. */
  public enum HandshakeMode {
    /** Runs the handshake. */
    NORMAL,
    /** Answers M1 with the generic failure frame and closes with 4001. */
    FAIL,
    /** Reads M1 and never answers (handshake timeout). */
    SILENT
  }

  private final Vertx vertx = Vertx.vertx();
  private final String agentId;
  private final IdentityPublicKey agentKey;
  private final IdentityKeyPair backendKey = IdentityKeyPair.generate(new SecureRandom());
  private final IdentityKeyPair nextBackendKey = IdentityKeyPair.generate(new SecureRandom());
  private final BlockingQueue<GatewaySession> sessions = new LinkedBlockingQueue<>();
  private final BlockingQueue<MultiMap> upgradeHeaders = new LinkedBlockingQueue<>();
  private final AtomicInteger upgrades = new AtomicInteger();
  private volatile BackendKeyRing ring = BackendKeyRing.of(backendKey);
  private volatile int refuseStatus;
  private volatile HandshakeMode mode = HandshakeMode.NORMAL;
  private final HttpServer server;

  private ScriptedGateway(String agentId, IdentityPublicKey agentKey) {
    this.agentId = agentId;
    this.agentKey = agentKey;
    this.server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0)
            .setMaxWebSocketFrameSize(Protocol.DEFAULT_MAX_FRAME_BYTES)
            .setMaxWebSocketMessageSize(Protocol.DEFAULT_MAX_FRAME_BYTES))
        .webSocketHandshakeHandler(hs -> {
          upgrades.incrementAndGet();
          upgradeHeaders.add(MultiMap.caseInsensitiveMultiMap().addAll(hs.headers()));
          if (!hs.path().equals("/ws/agent")) {
            hs.reject(404);
          } else if (refuseStatus != 0) {
            hs.reject(refuseStatus);
          } else {
            hs.accept();
          }
        })
        .webSocketHandler(ws -> sessions.add(new GatewaySession(this, ws, vertx.getOrCreateContext())))
        .requestHandler(r -> r.response().setStatusCode(404).end());
    try {
      server.listen().toCompletionStage().toCompletableFuture().get(Waits.EVENT.toSeconds(), TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("scripted gateway did not start", e);
    }
  }

  /** Starts a gateway that knows one agent and its registered key. */
  public static ScriptedGateway start(String agentId, IdentityPublicKey agentKey) {
    return new ScriptedGateway(agentId, agentKey);
  }

  /** Base URL, {@code http://127.0.0.1:<port>}. */
  public String url() {
    return "http://127.0.0.1:" + server.actualPort();
  }

  public String agentId() {
    return agentId;
  }

  IdentityPublicKey agentKey() {
    return agentKey;
  }

  /** The current backend identity key. */
  public IdentityKeyPair backendKey() {
    return backendKey;
  }

  /** A second backend key, for rotation tests. */
  public IdentityKeyPair nextBackendKey() {
    return nextBackendKey;
  }

  /** What an agent pins: the current backend key. */
  public PinnedBackendKeys pins() {
    return PinnedBackendKeys.of(backendKey.publicKey());
  }

  /** Signs commands with the current backend key. */
  public CommandSigner signer() {
    return CommandSigner.backend(backendKey);
  }

  /** Makes later handshakes sign with {@code ring} (for example only the next key, after rotation). */
  public void useKeys(BackendKeyRing ring) {
    this.ring = ring;
  }

  ServerHandshake newHandshake() {
    return new ServerHandshake(new ServerHandshake.Config(ring, Clock.systemUTC(), new SecureRandom(),
        Duration.ofMinutes(5), Protocol.DEFAULT_MAX_FRAME_BYTES));
  }

  HandshakeMode mode() {
    return mode;
  }

  /** Refuses later upgrades with {@code status} (0 accepts again). */
  public void refuseUpgrades(int status) {
    this.refuseStatus = status;
  }

  /** Sets how later handshakes go. */
  public void handshakes(HandshakeMode mode) {
    this.mode = mode;
  }

  /** Upgrade requests seen so far (accepted or refused). */
  public int upgrades() {
    return upgrades.get();
  }

  /** The headers of the next upgrade request. */
  public MultiMap nextUpgradeHeaders() throws InterruptedException {
    MultiMap h = upgradeHeaders.poll(Waits.EVENT.toSeconds(), TimeUnit.SECONDS);
    if (h == null) {
      throw new AssertionError("no upgrade request within " + Waits.EVENT);
    }
    return h;
  }

  /** The next accepted connection, with its handshake completed. */
  public GatewaySession nextSession() throws InterruptedException {
    GatewaySession s = nextConnection();
    s.awaitEstablished();
    return s;
  }

  /** The next accepted connection, whatever its handshake does. */
  public GatewaySession nextConnection() throws InterruptedException {
    GatewaySession s = sessions.poll(Waits.EVENT.toSeconds(), TimeUnit.SECONDS);
    if (s == null) {
      throw new AssertionError("agent did not connect within " + Waits.EVENT + " (upgrades so far: " + upgrades.get() + ")");
    }
    return s;
  }

  /** Asserts that no connection arrives within {@code d}. */
  public void expectNoConnection(Duration d) throws InterruptedException {
    GatewaySession s = sessions.poll(d.toMillis(), TimeUnit.MILLISECONDS);
    if (s != null) {
      throw new AssertionError("agent connected again, but should not have");
    }
  }

  @Override
  public void close() {
    try {
      vertx.close().toCompletionStage().toCompletableFuture().get(Waits.EVENT.toSeconds(), TimeUnit.SECONDS);
    } catch (Exception e) {
      // best effort
    }
  }
}
