package io.aegis.server.registry;

import io.aegis.protocol.IdentityPublicKey;
import io.aegis.protocol.KeyRotation;
import io.aegis.server.api.Access;
import io.aegis.server.api.ApiException;
import io.aegis.server.api.ApiRouter;
import io.aegis.server.api.Reply;
import io.vertx.core.http.HttpMethod;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /api/v1/agents/{agent_id}/rotate-key}: an agent replaces its own identity key
 * (docs/PROTOCOL.md §15.3). Only the agent itself may call it (its session token proves a recent
 * authentication with the current key); the body proves possession of both keys:
 *
 * <pre>{@code {"new_public_key": b64, "timestamp": ms, "signature_old": b64, "signature_new": b64}}</pre>
 *
 * <p>Checks, in order: the new key is valid as at registration; the timestamp is within
 * {@code AEGIS_AUTH_MAX_CLOCK_SKEW}; {@code signature_old} verifies under the <em>registered</em>
 * key and {@code signature_new} under the new key; the new key differs from the current one. Then
 * the key is replaced atomically (only if it is still the one the signatures name), the agent's
 * session tokens are revoked, and its live session is closed with 4002 so that it handshakes
 * again with the new key. A replayed body fails: the key it names as old is no longer registered.
 *
 * <p>Operators cannot rotate an agent's key: they never hold it. To replace a lost or
 * compromised key they delete the agent and register it again.
 */
public final class KeyRotationRoutes {
  private static final Logger log = LoggerFactory.getLogger(KeyRotationRoutes.class);

  /** The request body. */
  record RotateKeyRequest(String newPublicKey, Long timestamp, String signatureOld, String signatureNew) {}

  private final AgentRegistry registry;
  private final Duration maxSkew;

  public KeyRotationRoutes(AgentRegistry registry, Duration maxSkew) {
    this.registry = registry;
    this.maxSkew = maxSkew;
  }

  public void mount(ApiRouter api) {
    api.route(HttpMethod.POST, "/api/v1/agents/:agent_id/rotate-key", Access.SELF, r -> {
      String agentId = r.path("agent_id");
      return Reply.ok(rotate(agentId, r.body(RotateKeyRequest.class)));
    });
  }

  Agent rotate(String agentId, RotateKeyRequest body) {
    if (body.newPublicKey() == null || body.timestamp() == null || body.signatureOld() == null
        || body.signatureNew() == null) {
      throw ApiException.invalid("new_public_key, timestamp, signature_old and signature_new are required");
    }
    IdentityPublicKey newKey = IdentityPublicKey.parseBase64(AgentRoutes.validPublicKey(body.newPublicKey()));
    byte[] signatureOld = signature("signature_old", body.signatureOld());
    byte[] signatureNew = signature("signature_new", body.signatureNew());
    long timestamp = body.timestamp();
    if (timestamp < 0 || Duration.between(Instant.ofEpochMilli(timestamp), Instant.now()).abs().compareTo(maxSkew) > 0) {
      throw ApiException.badRequest("stale_timestamp",
          "timestamp must be the current time in milliseconds (within " + maxSkew.toSeconds() + " s of the server's clock)");
    }
    // SELF access has checked that the caller holds a live session of this active agent.
    Optional<String> registered = registry.activePublicKey(agentId);
    if (registered.isEmpty()) {
      throw ApiException.conflict("key_changed", "the agent is no longer active");
    }
    IdentityPublicKey oldKey = IdentityPublicKey.parseBase64(registered.get());
    if (!KeyRotation.verifyOld(agentId, oldKey, newKey, timestamp, signatureOld)) {
      log.info("key rotation refused agent_id={}: signature_old does not verify under the registered key", agentId);
      throw ApiException.badRequest("invalid_signature",
          "signature_old does not verify under the agent's registered key");
    }
    if (!KeyRotation.verifyNew(agentId, oldKey, newKey, timestamp, signatureNew)) {
      log.info("key rotation refused agent_id={}: signature_new does not verify under new_public_key", agentId);
      throw ApiException.badRequest("invalid_signature", "signature_new does not verify under new_public_key");
    }
    if (oldKey.equals(newKey)) {
      throw ApiException.badRequest("same_key", "new_public_key is the agent's current key");
    }
    Agent rotated = registry.rotateKey(agentId, oldKey.base64(), newKey.base64());
    log.info("agent_id={} rotated its identity key {} -> {}", agentId, oldKey.keyIdHex(), newKey.keyIdHex());
    return rotated;
  }

  private static byte[] signature(String field, String base64) {
    byte[] raw;
    try {
      raw = Base64.getDecoder().decode(base64);
    } catch (IllegalArgumentException e) {
      throw ApiException.invalid(field + " must be base64");
    }
    if (raw.length != 64) {
      throw ApiException.invalid(field + " must be a 64-byte Ed25519 signature, was " + raw.length + " bytes");
    }
    return raw;
  }
}
