package io.aegis.server.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.protocol.HttpAuth;
import io.aegis.protocol.IdentityKeyPair;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An agent with a real Ed25519 identity key, for tests that go through the registry and
 * {@code POST /api/v1/auth} as a real agent would (unlike {@link TestAgents}, which writes rows).
 */
public record AgentIdentity(String id, IdentityKeyPair key) {
  private static final SecureRandom RANDOM = new SecureRandom();

  /** A new agent named {@code Gateways.unique(prefix)} with a fresh key. */
  public static AgentIdentity create(String prefix) {
    return new AgentIdentity(Gateways.unique(prefix), IdentityKeyPair.generate(RANDOM));
  }

  public String publicKey() {
    return key.publicKey().base64();
  }

  /** A fresh random nonce of 32 base64url characters. */
  public static String nonce() {
    byte[] b = new byte[24];
    RANDOM.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  /** The body of a valid {@code POST /api/v1/auth} made now with a fresh nonce. */
  public Map<String, Object> authRequest() {
    return authRequest(System.currentTimeMillis(), nonce());
  }

  /** The body of {@code POST /api/v1/auth} signed by this agent's key. */
  public Map<String, Object> authRequest(long timestampMs, String nonce) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("agent_id", id);
    body.put("public_key", publicKey());
    body.put("timestamp", timestampMs);
    body.put("nonce", nonce);
    body.put("signature", Base64.getEncoder().encodeToString(HttpAuth.sign(key, id, timestampMs, nonce)));
    return body;
  }

  /** Registers this agent through the operator API with {@code labels}; asserts 201. */
  public AgentIdentity register(ApiClient operator, Map<String, String> labels) {
    var r = operator.post("/api/v1/agents", Map.of("agent_id", id, "public_key", publicKey(), "labels", labels));
    assertThat(r.status()).as(r.toString()).isEqualTo(201);
    return this;
  }

  /** Authenticates through {@code POST /api/v1/auth}; asserts 200 and returns the session token. */
  public String authenticate(String baseUrl) {
    var r = new ApiClient(baseUrl, null).post("/api/v1/auth", authRequest());
    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    return r.json().path("session_token").asText();
  }

  /** A client holding a fresh session token of this agent. */
  public ApiClient session(String baseUrl) {
    return new ApiClient(baseUrl, authenticate(baseUrl));
  }
}
