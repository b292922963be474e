package io.aegis.server.registry;

import static io.aegis.server.testing.Gateways.unique;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.aegis.server.testing.AgentIdentity;
import io.aegis.server.testing.ApiClient;
import io.aegis.server.testing.Gateways;
import io.aegis.server.testing.StoreKind;
import io.aegis.server.testing.TestGateway;
import io.aegis.server.testing.Waits;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class EnrollmentApiTest {
  static final Gateways gateways = new Gateways(Map.of("AEGIS_AUTH_RATE_LIMIT", "0"));

  @AfterAll
  static void stop() {
    gateways.close();
  }

  /** Creates a token with {@code body}; asserts 201 and returns the answer. */
  static JsonNode createToken(ApiClient op, Map<String, Object> body) {
    var r = op.post("/api/v1/enrollment-tokens", body);
    assertThat(r.status()).as(r.toString()).isEqualTo(201);
    return r.json();
  }

  static ApiClient.Response enroll(TestGateway gw, String token, AgentIdentity agent) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("enrollment_token", token);
    body.put("agent_id", agent.id());
    body.put("public_key", agent.publicKey());
    return gw.anonymous().post("/api/v1/enroll", body);
  }

  static void assertInvalidToken(ApiClient.Response r) {
    assertThat(r.status()).as(r.toString()).isEqualTo(401);
    assertThat(r.errorCode()).isEqualTo("invalid_enrollment_token");
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aTokenIsShownOnceAndIsSingleUseByDefault(StoreKind store) {
    TestGateway gw = gateways.get(store);
    ApiClient op = gw.operator();
    Instant before = Instant.now();
    JsonNode created = createToken(op, Map.of("description", "rack 7", "labels", Map.of("site", "par1")));
    String token = created.path("token").asText();
    String id = created.path("id").asText();
    assertThat(token).startsWith("aegis_et_");
    assertThat(created.path("max_uses").asInt()).isEqualTo(1);
    assertThat(created.path("use_count").asInt()).isZero();
    assertThat(created.path("revoked").asBoolean()).isFalse();
    assertThat(created.path("description").asText()).isEqualTo("rack 7");
    Instant expires = Instant.parse(created.path("expires_at").asText());
    assertThat(expires).isBetween(before.plus(Duration.ofHours(24)).minusSeconds(5), before.plus(Duration.ofHours(25)));

    var one = op.get("/api/v1/enrollment-tokens/" + id);
    assertThat(one.status()).isEqualTo(200);
    assertThat(one.json().has("token")).as("the token is shown only at creation").isFalse();
    var list = op.get("/api/v1/enrollment-tokens?limit=1000");
    assertThat(list.body()).doesNotContain(token).contains(id);

    AgentIdentity agent = AgentIdentity.create("enr");
    var enrolled = enroll(gw, token, agent);
    assertThat(enrolled.status()).as(enrolled.toString()).isEqualTo(201);
    assertThat(enrolled.json().path("agent_id").asText()).isEqualTo(agent.id());
    assertThat(enrolled.json().path("labels").path("site").asText()).as("the token's labels").isEqualTo("par1");
    assertThat(enrolled.json().path("enrolled_by").asText()).isEqualTo("token:" + id);
    assertThat(op.get("/api/v1/enrollment-tokens/" + id).json().path("use_count").asInt()).isEqualTo(1);

    // The enrolled agent authenticates with its key like any other.
    assertThat(agent.session(gw.baseUrl()).get("/api/v1/agents/" + agent.id()).status()).isEqualTo(200);

    assertInvalidToken(enroll(gw, token, AgentIdentity.create("second")));
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void anEnrollingAgentCannotChooseItsLabels(StoreKind store) {
    TestGateway gw = gateways.get(store);
    String token = createToken(gw.operator(), Map.of("labels", Map.of("tier", "low"))).path("token").asText();
    AgentIdentity agent = AgentIdentity.create("greedy");
    var r = gw.anonymous().post("/api/v1/enroll", Map.of("enrollment_token", token, "agent_id", agent.id(),
        "public_key", agent.publicKey(), "labels", Map.of("tier", "admin")));
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.errorCode()).isEqualTo("unknown_field");
    assertThat(r.json().path("error").path("message").asText()).contains("'labels'");
    assertThat(enroll(gw, token, agent).json().path("labels").path("tier").asText()).isEqualTo("low");
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aMultiUseTokenRunsOut(StoreKind store) {
    TestGateway gw = gateways.get(store);
    JsonNode created = createToken(gw.operator(), Map.of("max_uses", 3));
    String token = created.path("token").asText();
    for (int i = 0; i < 3; i++) {
      assertThat(enroll(gw, token, AgentIdentity.create("multi")).status()).isEqualTo(201);
    }
    assertInvalidToken(enroll(gw, token, AgentIdentity.create("fourth")));
    var seen = gw.operator().get("/api/v1/enrollment-tokens/" + created.path("id").asText()).json();
    assertThat(seen.path("use_count").asInt()).isEqualTo(3);
    assertThat(seen.path("max_uses").asInt()).isEqualTo(3);
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void anExpiredTokenIsRefused(StoreKind store) throws InterruptedException {
    TestGateway gw = gateways.get(store);
    JsonNode created = createToken(gw.operator(), Map.of("expires_in", "1s", "max_uses", 5));
    assertThat(Instant.parse(created.path("expires_at").asText())).isBefore(Instant.now().plusSeconds(2));
    // Until its expiry passes (a wait for that moment, not a guess at how long it takes).
    Instant expiresAt = Instant.parse(created.path("expires_at").asText());
    Awaitility.await().atMost(Waits.EVENT).until(() -> Instant.now().isAfter(expiresAt.plusMillis(100)));
    assertInvalidToken(enroll(gw, created.path("token").asText(), AgentIdentity.create("late")));
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aRevokedTokenIsRefused(StoreKind store) {
    TestGateway gw = gateways.get(store);
    ApiClient op = gw.operator();
    JsonNode created = createToken(op, Map.of("max_uses", 5));
    String id = created.path("id").asText();
    assertThat(op.delete("/api/v1/enrollment-tokens/" + id).status()).isEqualTo(204);
    assertThat(op.get("/api/v1/enrollment-tokens/" + id).json().path("revoked").asBoolean()).isTrue();
    assertInvalidToken(enroll(gw, created.path("token").asText(), AgentIdentity.create("revoked")));
    assertThat(op.delete("/api/v1/enrollment-tokens/" + java.util.UUID.randomUUID()).status()).isEqualTo(404);
    assertThat(op.get("/api/v1/enrollment-tokens/" + java.util.UUID.randomUUID()).status()).isEqualTo(404);
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void unknownTokensGetTheSameAnswer(StoreKind store) {
    TestGateway gw = gateways.get(store);
    assertInvalidToken(enroll(gw, "aegis_et_" + "A".repeat(43), AgentIdentity.create("guess")));
    assertInvalidToken(enroll(gw, "anything", AgentIdentity.create("guess")));
    var missing = gw.anonymous().post("/api/v1/enroll", Map.of("agent_id", unique("x"),
        "public_key", AgentIdentity.create("k").publicKey()));
    assertThat(missing.status()).isEqualTo(400);
    assertThat(missing.json().path("error").path("message").asText()).contains("enrollment_token");
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aFailedEnrollmentDoesNotUseTheToken(StoreKind store) {
    TestGateway gw = gateways.get(store);
    ApiClient op = gw.operator();
    AgentIdentity existing = AgentIdentity.create("taken").register(op, Map.of());
    JsonNode created = createToken(op, Map.of());
    String token = created.path("token").asText();

    var duplicate = enroll(gw, token, new AgentIdentity(existing.id(), AgentIdentity.create("k").key()));
    assertThat(duplicate.status()).isEqualTo(409);
    assertThat(duplicate.errorCode()).isEqualTo("already_exists");
    var badKey = gw.anonymous().post("/api/v1/enroll", Map.of("enrollment_token", token, "agent_id", unique("bk"),
        "public_key", "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="));
    assertThat(badKey.status()).isEqualTo(400);
    assertThat(badKey.errorCode()).isEqualTo("invalid_public_key");
    assertThat(op.get("/api/v1/enrollment-tokens/" + created.path("id").asText()).json().path("use_count").asInt())
        .isZero();
    assertThat(enroll(gw, token, AgentIdentity.create("fresh")).status()).isEqualTo(201);
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void agentsRacingForTheLastUseLeaveExactlyOneWinner(StoreKind store) throws Exception {
    TestGateway gw = gateways.get(store);
    String token = createToken(gw.operator(), Map.of("max_uses", 1)).path("token").asText();
    int racers = 8;
    ExecutorService pool = Executors.newFixedThreadPool(racers);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<ApiClient.Response>> results = new ArrayList<>();
      for (int i = 0; i < racers; i++) {
        AgentIdentity agent = AgentIdentity.create("race");
        results.add(pool.submit(() -> {
          go.await();
          return enroll(gw, token, agent);
        }));
      }
      go.countDown();
      List<Integer> statuses = new ArrayList<>();
      for (Future<ApiClient.Response> f : results) {
        statuses.add(f.get().status());
      }
      assertThat(statuses).filteredOn(s -> s == 201).hasSize(1);
      assertThat(statuses).filteredOn(s -> s == 401).hasSize(racers - 1);
    } finally {
      pool.shutdownNow();
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void tokenRequestsAreValidated(StoreKind store) {
    ApiClient op = gateways.get(store).operator();
    Map<Map<String, Object>, String> bad = Map.of(
        Map.of("max_uses", 0), "max_uses",
        Map.of("max_uses", 1_000_001), "max_uses",
        Map.of("expires_in", "0s"), "expires_in",
        Map.of("expires_in", "366d"), "expires_in",
        Map.of("expires_in", "tomorrow"), "expires_in",
        Map.of("labels", Map.of("k", "spaces are bad")), "label",
        Map.of("description", "d".repeat(1025)), "description");
    bad.forEach((body, word) -> {
      var r = op.post("/api/v1/enrollment-tokens", body);
      assertThat(r.status()).as(body.toString()).isEqualTo(400);
      assertThat(r.json().path("error").path("message").asText()).as(body.toString()).contains(word);
    });
    assertThat(op.post("/api/v1/enrollment-tokens", Map.of("uses", 2)).errorCode()).isEqualTo("unknown_field");
    assertThat(createToken(op, Map.of("expires_in", "1h30m")).path("max_uses").asInt()).isEqualTo(1);

    ApiClient agent = new ApiClient(gateways.get(store).baseUrl(), "aegis_st_" + "x".repeat(43));
    assertThat(agent.post("/api/v1/enrollment-tokens", Map.of()).status()).isEqualTo(401);
    assertThat(gateways.get(store).anonymous().get("/api/v1/enrollment-tokens").status()).isEqualTo(401);
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void tokensAreListedNewestFirstPageByPage(StoreKind store) throws InterruptedException {
    // A gateway of its own, so that the listing holds exactly the tokens made here.
    try (TestGateway gw = TestGateway.start(store)) {
      ApiClient op = gw.operator();
      List<String> made = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        made.add(0, createToken(op, Map.of("description", "t" + i)).path("id").asText());
        Thread.sleep(3); // distinct creation times, so that newest-first is one order
      }
      List<String> seen = new ArrayList<>();
      Set<String> cursors = new HashSet<>();
      String cursor = null;
      do {
        var r = op.get("/api/v1/enrollment-tokens?limit=2" + (cursor == null ? "" : "&cursor=" + cursor));
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        r.json().path("enrollment_tokens").forEach(t -> seen.add(t.path("id").asText()));
        cursor = r.json().path("next_cursor").asText(null);
      } while (cursor != null && cursors.add(cursor));
      assertThat(seen).containsExactlyElementsOf(made);
    }
  }
}
