package io.aegis.server.auth;

import io.aegis.protocol.HttpAuth;
import io.aegis.protocol.Identifiers;
import io.aegis.protocol.IdentityKeyPair;
import io.aegis.protocol.IdentityPublicKey;
import io.aegis.protocol.InvalidKeyException;
import io.aegis.protocol.BackendKeyRing;
import io.aegis.protocol.crypto.Hex;
import io.aegis.protocol.crypto.Secrets;
import io.aegis.protocol.crypto.StrictBase64;
import io.aegis.protocol.handshake.HandshakeException;
import io.aegis.protocol.http.HttpSession;
import io.aegis.protocol.http.HttpSessionKeys;
import io.aegis.server.api.ApiException;
import io.aegis.server.registry.AgentRegistry;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * {@code POST /api/v1/auth}: an agent proves possession of its registered key and receives a
 * session token.
 *
 * <p>Unlike the seed's sketch, the signature covers the agent id, a timestamp and a single-use
 * nonce, and is verified against the key in the registry, never one the request carries. Unknown
 * agent, inactive agent, key mismatch, bad signature, stale timestamp and replayed nonce all get
 * one answer; an unknown agent still costs a signature verification so timing does not tell
 * them apart. Details go to the server log only.
 *
 * <p>A request with an {@code ephemeral_key} is signed over that key (and the {@code backend_key_id}
 * it may name) too and also gets record keys for the HTTP transport (docs/PROTOCOL.md §17.1), kept
 * with the session token by {@link RecordKeyVault}, signed with the backend key it asked for if the
 * gateway holds it (else the current one). Such a session replaces the agent's earlier HTTP
 * sessions ({@link AgentSessions#issue(String, java.util.function.Function)}); listeners
 * registered with {@link #onHttpSession} then end what those sessions still wait for.
 */
public final class AgentAuthentication {
  /** A fixed key to verify against for unknown agents, so that their answer takes as long. */
  private static final IdentityPublicKey DECOY = IdentityKeyPair.generate(new SecureRandom()).publicKey();

  private static final int SIGNATURE_LENGTH = 64;
  private static final SecureRandom RANDOM = new SecureRandom();

  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(AgentAuthentication.class);

  private final UsedNonces nonces;
  private final AgentRegistry registry;
  private final AgentSessions sessions;
  private final Duration maxSkew;
  private final BackendKeyRing backendKeys;
  private final RecordKeyVault vault;
  private final int maxFrameBytes;
  private final MeterRegistry meters;
  private final java.util.Map<String, Counter> byBackendKey = new java.util.concurrent.ConcurrentHashMap<>();
  private final java.util.List<HttpSessionListener> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();

  /** Told of every HTTP session issued, after its commit (which revoked the agent's earlier ones). */
  public interface HttpSessionListener {
    /**
     * {@code agentId} has a new HTTP session, {@code sessionIdHex}; its earlier HTTP sessions are
     * replaced. Called on the issuing thread; must not block.
     */
    void issued(String agentId, String sessionIdHex);
  }

  /** Registers a listener for new HTTP sessions. */
  public void onHttpSession(HttpSessionListener listener) {
    listeners.add(listener);
  }

  public AgentAuthentication(UsedNonces nonces, AgentRegistry registry, AgentSessions sessions, Duration maxSkew,
                             BackendKeyRing backendKeys, RecordKeyVault vault, int maxFrameBytes,
                             MeterRegistry meters) {
    this.meters = meters;
    this.nonces = nonces;
    this.registry = registry;
    this.sessions = sessions;
    this.maxSkew = maxSkew;
    this.backendKeys = backendKeys;
    this.vault = vault;
    this.maxFrameBytes = maxFrameBytes;
  }

  /**
   * The issued session.
   *
   * @param recordKeys the answer's HTTP session fields, when the request carried {@code ephemeral_key}
   */
  public record Result(String agentId, AgentSessions.Issued session, Optional<HttpSessionKeys.Response> recordKeys) {}

  public Result authenticate(AuthenticationRequest req) {
    // Shape errors are the client's bug, not an authentication decision: say exactly what is wrong.
    if (req.agentId() == null || req.timestamp() == null || req.nonce() == null || req.signature() == null) {
      throw ApiException.invalid("agent_id, timestamp, nonce and signature are required");
    }
    String agentIdError = Identifiers.agentIdError(req.agentId());
    if (agentIdError != null) {
      throw ApiException.invalid("invalid agent_id: " + agentIdError);
    }
    String nonceError = HttpAuth.nonceError(req.nonce());
    if (nonceError != null) {
      throw ApiException.invalid(nonceError);
    }
    if (req.timestamp() < 100_000_000_000L) {
      throw ApiException.invalid("timestamp must be milliseconds since the epoch (this looks like seconds)");
    }
    byte[] signature;
    try {
      signature = StrictBase64.decode(req.signature(), SIGNATURE_LENGTH, "signature");
    } catch (IllegalArgumentException e) {
      throw ApiException.invalid("signature must be canonical base64 of the 64-byte Ed25519 signature");
    }
    Optional<byte[]> presented = Optional.ofNullable(req.publicKey()).map(AgentAuthentication::decodeKey);
    byte[] ephemeral = null;
    if (req.ephemeralKey() != null) {
      try {
        ephemeral = StrictBase64.decode(req.ephemeralKey(), 32, "ephemeral_key");
      } catch (IllegalArgumentException e) {
        throw ApiException.invalid("ephemeral_key must be canonical base64 of a 32-byte X25519 public value");
      }
    }
    byte[] askedKeyId = null;
    if (req.backendKeyId() != null) {
      if (ephemeral == null) {
        throw ApiException.invalid("backend_key_id is only for a request with ephemeral_key (docs/PROTOCOL.md §17.1)");
      }
      if (!req.backendKeyId().matches("[0-9a-f]{16}")) {
        throw ApiException.invalid("backend_key_id must be 16 lowercase hex characters (a backend key id)");
      }
      askedKeyId = Hex.decode(req.backendKeyId());
    }

    Optional<IdentityPublicKey> registered = registry.activeIdentityKey(req.agentId());
    IdentityPublicKey key = registered.orElse(DECOY);
    boolean signatureOk = ephemeral == null
        ? HttpAuth.verify(key, req.agentId(), req.timestamp(), req.nonce(), signature)
        : HttpAuth.verifySessionRequest(key, req.agentId(), req.timestamp(), req.nonce(), ephemeral, askedKeyId,
            signature);
    boolean keyMatches = presented.isEmpty()
        || registered.isPresent() && java.security.MessageDigest.isEqual(presented.get(), key.encoded());
    if (!keyMatches) {
      // Only now is the presented key parsed: a malformed one is the client's bug, not a refusal.
      parseKey(req.publicKey());
    }
    Instant now = Instant.now();
    Instant stamp = Instant.ofEpochMilli(req.timestamp());
    boolean fresh = Duration.between(stamp, now).abs().compareTo(maxSkew) <= 0;

    if (registered.isEmpty() || !signatureOk || !keyMatches || !fresh) {
      log.info("authentication refused agent_id={} reason={}", req.agentId(),
          registered.isEmpty() ? "unknown or inactive agent" : !keyMatches ? "public key mismatch"
              : !signatureOk ? "bad signature" : "timestamp outside skew window");
      throw failed();
    }
    if (!nonces.remember(req.agentId(), req.nonce(), stamp.plus(maxSkew))) {
      log.info("authentication refused agent_id={} reason=replayed nonce", req.agentId());
      throw failed();
    }
    if (ephemeral == null) {
      return new Result(req.agentId(), sessions.issue(req.agentId()), Optional.empty());
    }
    HttpSessionKeys.Issued keys;
    try {
      // The key asked for if held (current or next), else the current one: the rule of client_hello.
      IdentityKeyPair signer = askedKeyId == null ? backendKeys.current() : backendKeys.select(askedKeyId);
      keys = HttpSessionKeys.issue(signer, key,
          new HttpSessionKeys.Request(req.agentId(), req.timestamp(), req.nonce(), signature, ephemeral, askedKeyId),
          RANDOM, Clock.systemUTC(), maxFrameBytes);
    } catch (HandshakeException e) {
      log.info("authentication refused agent_id={} reason={}", req.agentId(), e.getMessage());
      throw failed();
    }
    try (HttpSession session = keys.session()) {
      byte[] secrets = session.export();
      try {
        AgentSessions.Issued issued = sessions.issue(req.agentId(), tokenHash -> vault.seal(secrets, tokenHash));
        String sessionId = session.sessionIdHex();
        countByBackendKey(askedKeyId);
        for (HttpSessionListener l : listeners) {
          try {
            l.issued(req.agentId(), sessionId);
          } catch (RuntimeException e) {
            log.warn("agent_id={} HTTP session listener failed: {}", req.agentId(), e.toString());
          }
        }
        return new Result(req.agentId(), issued, Optional.of(keys.response()));
      } finally {
        Secrets.erase(secrets);
      }
    }
  }

  /**
   * Counts an HTTP session by the backend key it asked for, as the gateway counts handshakes: the
   * key id if this node holds it, {@code other} if not, {@code none} for a request that named no
   * key (so that clients cannot grow the label set).
   */
  private void countByBackendKey(byte[] askedKeyId) {
    String label;
    if (askedKeyId == null) {
      label = "none";
    } else {
      IdentityKeyPair held = backendKeys.select(askedKeyId);
      label = java.util.Arrays.equals(held.publicKey().keyId(), askedKeyId) ? held.publicKey().keyIdHex() : "other";
    }
    byBackendKey.computeIfAbsent(label, k -> Counter.builder("aegis.http.sessions.by.backend.key")
        .description("HTTP sessions issued, by the backend key id the agent's POST /api/v1/auth asked for: adoption "
            + "of a next backend key among polling agents")
        .tag("key_id", k)
        .register(meters)).increment();
  }

  /**
   * The optional public_key field: malformed base64 is the client's bug (400), a different key a
   * refusal. It is only compared with the registered key, so it is decoded, not parsed as a point.
   */
  private static void parseKey(String base64) {
    try {
      IdentityPublicKey.parseBase64(base64);
    } catch (InvalidKeyException e) {
      throw ApiException.badRequest("invalid_public_key", "public_key: " + e.getMessage());
    }
  }

  private static byte[] decodeKey(String base64) {
    try {
      return StrictBase64.decode(base64, IdentityPublicKey.LENGTH, "public_key");
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest("invalid_public_key", e.getMessage());
    }
  }

  static ApiException failed() {
    return new ApiException(401, "authentication_failed", "authentication failed");
  }
}
