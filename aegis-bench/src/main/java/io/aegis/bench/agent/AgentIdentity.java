package io.aegis.bench.agent;

import io.aegis.protocol.IdentityKeyPair;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * A simulated agent's id and Ed25519 identity key, kept with its seed so that {@link KeyCache}
 * can store it and a later run can reuse the registration. Immutable.
 *
 * @param agentId the agent id ({@code <prefix>-000001}, ...)
 * @param seed    the 32-byte RFC 8032 seed (the private key)
 * @param key     the key pair built from the seed
 */
public record AgentIdentity(String agentId, byte[] seed, IdentityKeyPair key) {

  /** A new identity with a fresh random key. */
  public static AgentIdentity generate(String agentId, SecureRandom random) {
    byte[] seed = new byte[32];
    random.nextBytes(seed);
    return fromSeed(agentId, seed);
  }

  public static AgentIdentity fromSeed(String agentId, byte[] seed) {
    return new AgentIdentity(agentId, seed.clone(), IdentityKeyPair.fromSeed(seed));
  }

  /** The public key as registration and the upgrade header expect it (base64 of 32 bytes). */
  public String publicKeyBase64() {
    return key.publicKey().base64();
  }

  String seedBase64() {
    return Base64.getEncoder().encodeToString(seed);
  }

  /** The agent id of index {@code i} (from 1) under {@code prefix}: {@code prefix-000001}. */
  public static String agentId(String prefix, int i) {
    return String.format("%s-%06d", prefix, i);
  }
}
