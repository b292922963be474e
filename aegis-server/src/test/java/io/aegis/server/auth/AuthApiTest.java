package io.aegis.server.auth;

import static io.aegis.server.testing.Gateways.unique;
import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.protocol.HttpAuth;
import io.aegis.server.testing.AgentIdentity;
import io.aegis.server.testing.ApiClient;
import io.aegis.server.testing.Gateways;
import io.aegis.server.testing.StoreKind;
import io.aegis.server.testing.TestGateway;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class AuthApiTest {
  static final Gateways gateways = new Gateways(Map.of("AEGIS_AUTH_RATE_LIMIT", "0", "SESSION_TIMEOUT", "2h"));

  @AfterAll
  static void stop() {
    gateways.close();
  }

  static ApiClient.Response auth(TestGateway gw, Object body) {
    return gw.anonymous().post("/api/v1/auth", body);
  }

  static Map<String, Object> with(Map<String, Object> body, String field, Object value) {
    Map<String, Object> copy = new HashMap<>(body);
    if (value == null) {
      copy.remove(field);
    } else {
      copy.put(field, value);
    }
    return copy;
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aSignedRequestGetsASessionToken(StoreKind store) {
    TestGateway gw = gateways.get(store);
    AgentIdentity agent = AgentIdentity.create("auth").register(gw.operator(), Map.of());
    Instant before = Instant.now();

    var r = auth(gw, agent.authRequest());
    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    assertThat(r.json().path("success").asBoolean()).isTrue();
    assertThat(r.json().path("agent_id").asText()).isEqualTo(agent.id());
    assertThat(r.json().path("backend_key").asText()).isEqualTo(gw.server().identity().publicKey().base64());
    assertThat(r.json().path("session_token").asText()).startsWith("aegis_st_").hasSize(9 + 43);
    long expiresAt = r.json().path("expires_at").asLong();
    assertThat(expiresAt).as("Unix seconds, SESSION_TIMEOUT ahead")
        .isBetween(before.plus(Duration.ofHours(2)).getEpochSecond() - 1, Instant.now().plus(Duration.ofHours(2)).getEpochSecond() + 1);
    assertThat(r.json().has("message")).isFalse();

    // public_key is optional; when given it must be the registered one.
    var withoutKey = auth(gw, with(agent.authRequest(), "public_key", null));
    assertThat(withoutKey.status()).isEqualTo(200);
    assertThat(withoutKey.json().path("session_token").asText()).isNotEqualTo(r.json().path("session_token").asText());
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aSessionTokenReachesOnlyTheAgentsOwnResources(StoreKind store) {
    TestGateway gw = gateways.get(store);
    AgentIdentity agent = AgentIdentity.create("own").register(gw.operator(), Map.of());
    AgentIdentity other = AgentIdentity.create("other").register(gw.operator(), Map.of());
    ApiClient session = agent.session(gw.baseUrl());

    assertThat(session.get("/api/v1/agents/" + agent.id()).status()).isEqualTo(200);
    assertThat(session.get("/api/v1/agents/" + agent.id() + "/policies").status()).isEqualTo(200);
    assertThat(session.get("/api/v1/agents/" + agent.id() + "/artifacts").status()).isEqualTo(200);
    assertThat(session.post("/api/v1/agents/" + agent.id() + "/events",
        Map.of("events", List.of(Map.of("type", "login", "timestamp", 1_764_000_000_000L, "body", Map.of()))))
        .status()).isEqualTo(202);

    for (String path : List.of("/api/v1/agents/" + other.id(), "/api/v1/agents/" + other.id() + "/policies",
        "/api/v1/agents/" + other.id() + "/artifacts")) {
      var r = session.get(path);
      assertThat(r.status()).as(path).isEqualTo(403);
      assertThat(r.errorCode()).isEqualTo("forbidden");
    }
    for (String path : List.of("/api/v1/agents", "/api/v1/policies", "/api/v1/artifacts", "/api/v1/events",
        "/api/v1/enrollment-tokens", "/api/v1/agents/" + agent.id() + "/events")) {
      var r = session.get(path);
      assertThat(r.status()).as(path).isEqualTo(403);
      assertThat(r.errorCode()).isEqualTo("forbidden");
    }
    var publish = session.put("/api/v1/policies/" + unique("p"), Map.of("document", Map.of()));
    assertThat(publish.status()).isEqualTo(403);
    assertThat(publish.json().path("error").path("message").asText()).contains("operator token");
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void everyRefusalGetsTheSameAnswer(StoreKind store) {
    TestGateway gw = gateways.get(store);
    ApiClient op = gw.operator();
    AgentIdentity agent = AgentIdentity.create("same").register(op, Map.of());
    AgentIdentity inactive = AgentIdentity.create("inactive").register(op, Map.of());
    assertThat(op.post("/api/v1/agents/" + inactive.id() + "/deactivate", null).status()).isEqualTo(200);
    AgentIdentity impostor = new AgentIdentity(agent.id(), AgentIdentity.create("k").key());
    long now = System.currentTimeMillis();
    long skew = Duration.ofMinutes(5).toMillis();
    String nonce = AgentIdentity.nonce();
    Map<String, Object> valid = agent.authRequest(now, nonce);

    Map<String, Object> refusals = new java.util.LinkedHashMap<>();
    refusals.put("unknown agent", AgentIdentity.create("ghost").authRequest());
    refusals.put("inactive agent", inactive.authRequest());
    refusals.put("wrong key's signature", with(impostor.authRequest(), "public_key", agent.publicKey()));
    refusals.put("impostor's own key", impostor.authRequest());
    refusals.put("public_key mismatch", with(agent.authRequest(), "public_key", impostor.publicKey()));
    refusals.put("signature over another nonce", with(valid, "nonce", AgentIdentity.nonce()));
    refusals.put("signature over another time", with(valid, "timestamp", now + 1));
    refusals.put("zero signature", with(valid, "signature", Base64.getEncoder().encodeToString(new byte[64])));
    refusals.put("stale timestamp", agent.authRequest(now - skew - 10_000, AgentIdentity.nonce()));
    refusals.put("future timestamp", agent.authRequest(now + skew + 10_000, AgentIdentity.nonce()));

    List<String> bodies = new ArrayList<>();
    refusals.forEach((why, body) -> {
      var r = auth(gw, body);
      assertThat(r.status()).as(why).isEqualTo(401);
      assertThat(r.errorCode()).as(why).isEqualTo("authentication_failed");
      bodies.add(r.body());
    });
    assertThat(bodies).as("one answer for every refusal").containsOnly(bodies.get(0));

    // None of the refusals used up the nonce: the genuine request with it still succeeds, once.
    assertThat(auth(gw, valid).status()).isEqualTo(200);
    var replay = auth(gw, valid);
    assertThat(replay.status()).isEqualTo(401);
    assertThat(replay.body()).isEqualTo(bodies.get(0));
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aTimestampWithinTheSkewIsAccepted(StoreKind store) {
    TestGateway gw = gateways.get(store);
    AgentIdentity agent = AgentIdentity.create("skew").register(gw.operator(), Map.of());
    long skew = Duration.ofMinutes(5).toMillis();
    long now = System.currentTimeMillis();
    assertThat(auth(gw, agent.authRequest(now - skew + 30_000, AgentIdentity.nonce())).status()).isEqualTo(200);
    assertThat(auth(gw, agent.authRequest(now + skew - 30_000, AgentIdentity.nonce())).status()).isEqualTo(200);
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void malformedRequestsSayWhatIsWrong(StoreKind store) {
    TestGateway gw = gateways.get(store);
    AgentIdentity agent = AgentIdentity.create("shape").register(gw.operator(), Map.of());
    Map<String, Object> valid = agent.authRequest();
    long now = System.currentTimeMillis();
    Map<Object, String> bad = new java.util.LinkedHashMap<>();
    bad.put(with(valid, "agent_id", null), "required");
    bad.put(with(valid, "timestamp", null), "required");
    bad.put(with(valid, "nonce", null), "required");
    bad.put(with(valid, "signature", null), "required");
    bad.put(with(valid, "agent_id", "bad id"), "agent_id");
    bad.put(with(valid, "agent_id", "x".repeat(256)), "agent_id");
    bad.put(with(valid, "nonce", "short"), "nonce");
    bad.put(with(valid, "nonce", "a".repeat(65)), "nonce");
    bad.put(with(valid, "nonce", "has spaces in the nonce!"), "nonce");
    bad.put(with(valid, "timestamp", now / 1000), "milliseconds");
    bad.put(with(valid, "timestamp", "yesterday"), "timestamp");
    bad.put(with(valid, "signature", "not base64!"), "signature");
    bad.put(with(valid, "signature", Base64.getEncoder().encodeToString(new byte[63])), "64-byte");
    bad.put(with(valid, "signature", Base64.getEncoder().encodeToString(
        HttpAuth.sign(agent.key(), agent.id(), now, "n".repeat(16))).replace("=", "")), "signature");
    bad.forEach((body, word) -> {
      var r = auth(gw, body);
      assertThat(r.status()).as(body.toString()).isEqualTo(400);
      assertThat(r.errorCode()).as(body.toString()).isEqualTo("invalid_request");
      assertThat(r.json().path("error").path("message").asText()).as(body.toString()).contains(word);
    });

    var badKey = auth(gw, with(valid, "public_key", "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="));
    assertThat(badKey.status()).isEqualTo(400);
    assertThat(badKey.errorCode()).isEqualTo("invalid_public_key");
    var unknown = auth(gw, with(valid, "session", "please"));
    assertThat(unknown.status()).isEqualTo(400);
    assertThat(unknown.errorCode()).isEqualTo("unknown_field");
    assertThat(auth(gw, "{\"agent_id\":").errorCode()).isEqualTo("invalid_json");
    assertThat(gw.anonymous().post("/api/v1/auth", null).errorCode()).isEqualTo("invalid_json");
    var text = gw.anonymous().send("POST", "/api/v1/auth", "agent_id=x", Map.of("Content-Type", "text/plain"));
    assertThat(text.status()).isEqualTo(415);
    assertThat(text.errorCode()).isEqualTo("unsupported_media_type");
  }

  @Test
  void tooManyAttemptsFromOneAddressAreRateLimited() {
    try (TestGateway gw = TestGateway.start(StoreKind.SQLITE, Map.of("AEGIS_AUTH_RATE_LIMIT", "1"))) {
      AgentIdentity agent = AgentIdentity.create("rl").register(gw.operator(), Map.of());
      // A burst of twice the rate passes; beyond it, 429 until the bucket refills (1/s). Each
      // request takes time in which it refills: on a busy machine a few more may pass before one
      // is refused, never fewer than the burst.
      List<ApiClient.Response> answers = new ArrayList<>();
      ApiClient.Response limited = null;
      for (int i = 0; i < 50 && limited == null; i++) {
        ApiClient.Response r = auth(gw, agent.authRequest());
        answers.add(r);
        limited = r.status() == 429 ? r : null;
      }
      assertThat(answers.get(0).status()).isEqualTo(200);
      assertThat(answers.get(1).status()).isEqualTo(200);
      assertThat(limited).as(answers.toString()).isNotNull();
      assertThat(limited.errorCode()).isEqualTo("rate_limited");
      // Other endpoints are not limited.
      assertThat(gw.operator().get("/api/v1/agents/" + agent.id()).status()).isEqualTo(200);
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void operatorEndpointsNeedAnOperatorToken(StoreKind store) {
    TestGateway gw = gateways.get(store);
    List<ApiClient> unauthenticated = List.of(
        gw.anonymous(),
        gw.withToken("garbage"),
        gw.withToken("aegis_op_" + "A".repeat(43)),
        gw.withToken("aegis_st_" + "A".repeat(43)),
        gw.withToken(TestGateway.OPERATOR_TOKEN + "x"));
    for (ApiClient client : unauthenticated) {
      var r = client.get("/api/v1/agents");
      assertThat(r.status()).isEqualTo(401);
      assertThat(r.errorCode()).isEqualTo("unauthorized");
      assertThat(r.header("WWW-Authenticate")).isEqualTo("Bearer");
    }
    var basic = gw.anonymous().get("/api/v1/agents", Map.of("Authorization", "Basic b3A6b3A="));
    assertThat(basic.status()).isEqualTo(401);
    assertThat(basic.header("WWW-Authenticate")).isEqualTo("Bearer");
    var empty = gw.anonymous().get("/api/v1/agents", Map.of("Authorization", "Bearer "));
    assertThat(empty.status()).isEqualTo(401);
    var lowerCase = gw.anonymous().get("/api/v1/agents", Map.of("Authorization", "bearer " + TestGateway.OPERATOR_TOKEN));
    assertThat(lowerCase.status()).as("the scheme is case-insensitive").isEqualTo(200);

    AgentIdentity agent = AgentIdentity.create("noop").register(gw.operator(), Map.of());
    var asAgent = agent.session(gw.baseUrl()).get("/api/v1/agents");
    assertThat(asAgent.status()).isEqualTo(403);
    assertThat(asAgent.errorCode()).isEqualTo("forbidden");
  }
}
