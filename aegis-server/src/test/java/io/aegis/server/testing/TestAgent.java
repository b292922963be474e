package io.aegis.server.testing;

import io.aegis.protocol.IdentityKeyPair;
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
import java.security.SecureRandom;
import java.time.Clock;
import java.util.List;
import java.util.Map;

/**
 * An agent for gateway tests that speaks the real protocol through an {@link AgentSocket}:
 * it registers itself through the REST API, runs the handshake, and seals and opens records.
 * Its parts stay reachable so that tests can break the protocol on purpose.
 */
public final class TestAgent {
  private static final SecureRandom RANDOM = new SecureRandom();

  // Suppliers, so that an agent of a TestGateway follows it across restarts (new port, new key).
  private final java.util.function.Supplier<String> baseUrl;
  private final String websocketPath;
  private final java.util.function.Supplier<IdentityPublicKey> backendKey;
  private final String agentId;
  private final IdentityKeyPair key;
  private final java.util.function.Supplier<javax.net.ssl.SSLContext> ssl;

  public TestAgent(TestGateway gateway, String agentId, IdentityKeyPair key) {
    this(gateway::baseUrl, gateway.server().config().websocketPath(), () -> gateway.server().identity().publicKey(),
        agentId, key, gateway::clientSsl);
  }

  /** An agent of a gateway at {@code baseUrl} whose backend key is {@code backendKey} (for gateways in other processes). */
  public TestAgent(String baseUrl, String websocketPath, IdentityPublicKey backendKey, String agentId, IdentityKeyPair key) {
    this(() -> baseUrl, websocketPath, () -> backendKey, agentId, key, () -> null);
  }

  private TestAgent(java.util.function.Supplier<String> baseUrl, String websocketPath,
                    java.util.function.Supplier<IdentityPublicKey> backendKey, String agentId, IdentityKeyPair key,
                    java.util.function.Supplier<javax.net.ssl.SSLContext> ssl) {
    this.baseUrl = baseUrl;
    this.websocketPath = websocketPath;
    this.backendKey = backendKey;
    this.agentId = agentId;
    this.key = key;
    this.ssl = ssl;
  }

  /** The same agent talking to another gateway node (or the same store after a restart). */
  public TestAgent at(String otherBaseUrl) {
    return new TestAgent(() -> otherBaseUrl, websocketPath, backendKey, agentId, key, ssl);
  }

  /** Registers a new agent with a fresh key through the REST API. */
  public static TestAgent register(TestGateway gateway, String agentId) {
    return register(gateway, agentId, Map.of());
  }

  public static TestAgent register(TestGateway gateway, String agentId, Map<String, String> labels) {
    IdentityKeyPair key = IdentityKeyPair.generate(RANDOM);
    var r = gateway.operator().post("/api/v1/agents",
        Map.of("agent_id", agentId, "public_key", key.publicKey().base64(), "labels", labels));
    if (r.status() != 201) {
      throw new IllegalStateException("cannot register " + agentId + ": " + r);
    }
    return new TestAgent(gateway, agentId, key);
  }

  public String agentId() {
    return agentId;
  }

  public IdentityKeyPair key() {
    return key;
  }

  /** The upgrade headers the seed specifies. */
  public Map<String, String> headers() {
    return Map.of("X-Agent-ID", agentId, "X-Agent-Public-Key", key.publicKey().base64(),
        "User-Agent", "Aegis-Agent/1.0 (test)");
  }

  /** Opens the socket (no handshake yet), over TLS when the gateway serves it (see {@link TestGateway#trusting}). */
  public AgentSocket socket() {
    return AgentSocket.connect(baseUrl.get(), websocketPath, headers(), ssl.get());
  }

  public IdentityPublicKey backendKey() {
    return backendKey.get();
  }

  public ClientHandshake newHandshake() {
    return newHandshake(key);
  }

  /** A handshake that signs with {@code signingKey} (which may differ from the registered key). */
  public ClientHandshake newHandshake(IdentityKeyPair signingKey) {
    return newHandshake(signingKey, PinnedBackendKeys.of(backendKey()));
  }

  /**
   * A handshake that signs with {@code signingKey} and trusts {@code pins}; its
   * {@code client_hello} asks for {@code pins.current()}.
   */
  public ClientHandshake newHandshake(IdentityKeyPair signingKey, PinnedBackendKeys pins) {
    return new ClientHandshake(new ClientHandshake.Config(agentId, signingKey, pins,
        Clock.systemUTC(), RANDOM, Protocol.DEFAULT_MAX_FRAME_BYTES));
  }

  /** A verifier of the gateway's command signatures, as an agent pinning the backend key has. */
  public io.aegis.protocol.record.CommandVerifier verifier() {
    return new io.aegis.protocol.record.CommandVerifier(agentId, PinnedBackendKeys.of(backendKey()), Clock.systemUTC(), 10_000);
  }

  /** A connected, authenticated session. */
  public Session connect() {
    return connect(PinnedBackendKeys.of(backendKey()));
  }

  /** A connected, authenticated session of an agent that pins {@code pins}. */
  public Session connect(PinnedBackendKeys pins) {
    return connect(newHandshake(key, pins));
  }

  /** Runs {@code hs} over a new socket: a connected, authenticated session. */
  public Session connect(ClientHandshake hs) {
    AgentSocket socket = socket();
    try {
      String m1 = hs.clientHello();
      socket.sendText(m1);
      String m2 = socket.nextText();
      String m3 = hs.onServerHello(m2);
      socket.sendText(m3);
      String sessionRecord = socket.nextText();
      ClientHandshake.Established est = hs.onSessionRecord(sessionRecord);
      return new Session(socket, est, key, List.of(m1, m2, m3, sessionRecord));
    } catch (HandshakeException | RuntimeException e) {
      socket.close();
      throw new IllegalStateException("handshake failed for " + agentId, e);
    }
  }

  /** An established session: the socket plus the record layer. */
  public static final class Session implements AutoCloseable {
    private final AgentSocket socket;
    private final ClientHandshake.Established established;
    private final IdentityKeyPair agentKey;
    private final List<String> handshakeFrames;

    Session(AgentSocket socket, ClientHandshake.Established established, IdentityKeyPair agentKey,
            List<String> handshakeFrames) {
      this.socket = socket;
      this.established = established;
      this.agentKey = agentKey;
      this.handshakeFrames = handshakeFrames;
    }

    /**
     * The four handshake frames as they crossed the wire: {@code client_hello},
     * {@code server_hello}, {@code client_auth}, then the gateway's session record.
     */
    public List<String> handshakeFrames() {
      return handshakeFrames;
    }

    public AgentSocket socket() {
      return socket;
    }

    public SecureChannel channel() {
      return established.channel();
    }

    public String sessionToken() {
      return established.response().sessionToken();
    }

    public ClientHandshake.Established established() {
      return established;
    }

    /** Seals and sends an unsigned record; returns the frame sent. */
    public String send(String id, String type, String channel, Map<String, String> headers, String body) {
      String frame = seal(id, type, channel, headers, body);
      socket.sendText(frame);
      return frame;
    }

    /** Seals an unsigned record without sending it (it takes the next sequence number all the same). */
    public String seal(String id, String type, String channel, Map<String, String> headers, String body) {
      try {
        return WireJson.encode(established.channel().seal(id, type, channel, headers,
            body.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
      } catch (RecordException e) {
        throw new IllegalStateException(e);
      }
    }

    /**
     * Sends a {@code key_update} asking the gateway for one and waits for the gateway's answer:
     * proof that the gateway opened every record sent before it. Records the gateway sends in
     * between are opened and returned.
     */
    public List<OpenedRecord> keyUpdateRoundTrip() {
      try {
        socket.sendText(WireJson.encode(established.channel().sealKeyUpdate(true)));
        List<OpenedRecord> others = new java.util.ArrayList<>();
        while (true) {
          OpenedRecord r = established.channel().open(socket.nextText());
          if (r.keyUpdate()) {
            return others;
          }
          others.add(r);
        }
      } catch (RecordException e) {
        throw new AssertionError("record from the gateway did not open: " + e.getMessage(), e);
      }
    }

    /** Opens the next record from the gateway, answering key updates as the protocol says. */
    public OpenedRecord next() {
      while (true) {
        try {
          OpenedRecord r = established.channel().open(socket.nextText());
          if (r.keyUpdate()) {
            if (established.channel().keyUpdateOwed()) {
              socket.sendText(WireJson.encode(established.channel().sealKeyUpdate(false)));
            }
            continue;
          }
          return r;
        } catch (RecordException e) {
          throw new AssertionError("record from the gateway did not open: " + e.getMessage(), e);
        }
      }
    }

    /** Acknowledges delivered messages (an {@code ack} record on channel {@code control}). */
    public void ack(String... messageIds) {
      var body = JSON.createObjectNode();
      var ids = body.putArray("ids");
      for (String id : messageIds) {
        ids.add(id);
      }
      send(java.util.UUID.randomUUID().toString(), "ack", "control", Map.of(), body.toString());
    }

    /** Sends a signed agent message, as the SDK does for events, requests and responses. */
    public String sendSigned(String id, String type, String channel, Map<String, String> headers, String body) {
      try {
        var signed = io.aegis.protocol.record.CommandSigner.agent(agentKey).agentMessage(id, type, channel,
            body.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        String frame = WireJson.encode(established.channel().seal(signed, headers));
        socket.sendText(frame);
        return frame;
      } catch (RecordException e) {
        throw new IllegalStateException(e);
      }
    }

    /** The next record that is not an ack from the gateway. */
    public OpenedRecord nextNonAck() {
      while (true) {
        OpenedRecord r = next();
        if (!r.type().equals("ack")) {
          return r;
        }
      }
    }

    /** Asserts that no record arrives within {@code d}. */
    public void expectNothing(java.time.Duration d) {
      try {
        String t = socket.nextText(d);
        throw new AssertionError("expected nothing, got a frame: " + t);
      } catch (AssertionError e) {
        if (e.getMessage() != null && e.getMessage().startsWith("expected nothing")) {
          throw e;
        }
      }
    }

    @Override
    public void close() {
      socket.close();
    }
  }

  private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();
}
