package io.aegis.server.auth;

import io.aegis.protocol.HttpAuth;
import io.aegis.protocol.Identifiers;
import io.aegis.protocol.IdentityKeyPair;
import io.aegis.protocol.IdentityPublicKey;
import io.aegis.protocol.InvalidKeyException;
import io.aegis.protocol.crypto.StrictBase64;
import io.aegis.server.api.ApiException;
import io.aegis.server.registry.AgentRegistry;
import io.aegis.server.store.Database;
import java.security.SecureRandom;
import java.sql.PreparedStatement;
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
 */
public final class AgentAuthentication {
  /** A fixed key to verify against for unknown agents, so that their answer takes as long. */
  private static final IdentityPublicKey DECOY = IdentityKeyPair.generate(new SecureRandom()).publicKey();

  private static final int SIGNATURE_LENGTH = 64;

  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(AgentAuthentication.class);

  private final Database db;
  private final AgentRegistry registry;
  private final AgentSessions sessions;
  private final Duration maxSkew;

  public AgentAuthentication(Database db, AgentRegistry registry, AgentSessions sessions, Duration maxSkew) {
    this.db = db;
    this.registry = registry;
    this.sessions = sessions;
    this.maxSkew = maxSkew;
  }

  /** The issued session. */
  public record Result(String agentId, AgentSessions.Issued session) {}

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

    Optional<IdentityPublicKey> registered = registry.activeIdentityKey(req.agentId());
    IdentityPublicKey key = registered.orElse(DECOY);
    boolean signatureOk = HttpAuth.verify(key, req.agentId(), req.timestamp(), req.nonce(), signature);
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
    if (!rememberNonce(req.agentId(), req.nonce(), stamp.plus(maxSkew))) {
      log.info("authentication refused agent_id={} reason=replayed nonce", req.agentId());
      throw failed();
    }
    return new Result(req.agentId(), sessions.issue(req.agentId()));
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

  /** Records the nonce; false if this agent already used it within the window. */
  private boolean rememberNonce(String agentId, String nonce, Instant expiresAt) {
    return db.transaction(c -> {
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM auth_nonces WHERE agent_id = ? AND expires_at < ?")) {
        ps.setString(1, agentId);
        db.dialect().setInstant(ps, 2, Instant.now());
        ps.executeUpdate();
      }
      try (PreparedStatement ps = c.prepareStatement(
          "INSERT INTO auth_nonces (agent_id, nonce, expires_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")) {
        ps.setString(1, agentId);
        ps.setString(2, nonce);
        db.dialect().setInstant(ps, 3, expiresAt);
        return ps.executeUpdate() == 1;
      }
    });
  }

  static ApiException failed() {
    return new ApiException(401, "authentication_failed", "authentication failed");
  }
}
