package io.aegis.server.registry;

import static io.aegis.server.testing.Gateways.unique;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.aegis.server.testing.AgentIdentity;
import io.aegis.server.testing.ApiClient;
import io.aegis.server.testing.Gateways;
import io.aegis.server.testing.StoreKind;
import io.aegis.server.testing.TestGateway;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class AgentApiTest {
  static final Gateways gateways = new Gateways(Map.of("AEGIS_AUTH_RATE_LIMIT", "0"));

  /** Keys every registration must refuse, with a word the 400's message must contain. */
  static final Map<String, String> BAD_KEYS = badKeys();

  @AfterAll
  static void stop() {
    gateways.close();
  }

  static Map<String, String> badKeys() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put(Base64.getEncoder().encodeToString(new byte[31]), "32 bytes");
    m.put(Base64.getEncoder().encodeToString(new byte[33]), "32 bytes");
    m.put("not base64 at all!", "base64");
    m.put("AgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "base64"); // unpadded
    m.put("AgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "not a point on the curve");
    m.put("AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "small order"); // the identity point
    m.put("7P///////////////////////////////////////38=", "small order"); // order 2
    m.put("xxdqcD1N2E+6PAt2DRBnDyogU/osOczGTsf9d5KsA3o=", "small order"); // order 8
    m.put("agT6es8JNMuKs0+8tAx/WLEJ++44nRhtjiL3Beh96L4=", "small-order component"); // key + order-8 point
    m.put("7f///////////////////////////////////////38=", "not canonical"); // y = p
    return m;
  }

  static Map<String, Object> registration(String agentId, String publicKey) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("agent_id", agentId);
    body.put("public_key", publicKey);
    return body;
  }

  static String key() {
    return AgentIdentity.create("k").publicKey();
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void registeringAnAgentAnswersItsRecord(StoreKind store) {
    ApiClient op = gateways.get(store).operator();
    AgentIdentity agent = AgentIdentity.create("reg");
    Instant before = Instant.now().minusSeconds(1);
    var body = registration(agent.id(), agent.publicKey());
    body.put("metadata", Map.of("hostname", "web-1", "os", Map.of("name", "debian", "version", 13)));
    body.put("labels", Map.of("env", "prod", "team", "blue"));

    var r = op.post("/api/v1/agents", body);
    assertThat(r.status()).as(r.toString()).isEqualTo(201);
    JsonNode a = r.json();
    assertThat(a.path("agent_id").asText()).isEqualTo(agent.id());
    assertThat(a.path("public_key").asText()).isEqualTo(agent.publicKey());
    assertThat(a.path("status").asText()).isEqualTo("active");
    assertThat(a.path("metadata").path("os").path("version").asInt()).isEqualTo(13);
    assertThat(a.path("labels").path("env").asText()).isEqualTo("prod");
    assertThat(a.path("enrolled_by").asText()).isEqualTo("operator");
    assertThat(Instant.parse(a.path("created_at").asText())).isAfter(before);
    assertThat(a.has("key_rotated_at")).isFalse();
    List<String> fields = new ArrayList<>();
    a.fieldNames().forEachRemaining(fields::add);
    assertThat(fields).as("exactly the documented fields").containsExactly("agent_id", "public_key", "status",
        "metadata", "labels", "enrolled_by", "created_at", "updated_at");

    var got = op.get("/api/v1/agents/" + agent.id());
    assertThat(got.status()).isEqualTo(200);
    assertThat(got.json()).isEqualTo(a);
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void agentIdsFollowTheSyntaxRule(StoreKind store) {
    ApiClient op = gateways.get(store).operator();
    List<String> bad = List.of("", "x".repeat(256), "has space", "slash/inside", "caf\u00e9", "semi;colon", "new\nline",
        "at@sign", "percent%20");
    for (String id : bad) {
      var r = op.post("/api/v1/agents", registration(id, key()));
      assertThat(r.status()).as(id).isEqualTo(400);
      assertThat(r.errorCode()).isEqualTo("invalid_request");
      assertThat(r.json().path("error").path("message").asText()).as(id).contains("agent_id");
    }
    var missing = op.post("/api/v1/agents", Map.of("public_key", key()));
    assertThat(missing.status()).isEqualTo(400);
    assertThat(missing.json().path("error").path("message").asText()).contains("agent_id is required");

    // The longest id and every allowed character are accepted.
    String longest = unique("max") + "x".repeat(255 - unique("max").length());
    assertThat(op.post("/api/v1/agents", registration(longest, key())).status()).isEqualTo(201);
    String allChars = unique("A-Za.z_0:9");
    var ok = op.post("/api/v1/agents", registration(allChars, key()));
    assertThat(ok.status()).as(ok.toString()).isEqualTo(201);
    assertThat(op.get("/api/v1/agents/" + allChars).status()).isEqualTo(200);
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void invalidPublicKeysAreRefusedSayingWhy(StoreKind store) {
    ApiClient op = gateways.get(store).operator();
    for (var bad : BAD_KEYS.entrySet()) {
      String id = unique("badkey");
      var r = op.post("/api/v1/agents", registration(id, bad.getKey()));
      assertThat(r.status()).as(bad.getKey()).isEqualTo(400);
      assertThat(r.errorCode()).as(bad.getKey()).isEqualTo("invalid_public_key");
      assertThat(r.json().path("error").path("message").asText()).as(bad.getKey()).contains(bad.getValue());
      assertThat(op.get("/api/v1/agents/" + id).status()).as("nothing stored").isEqualTo(404);
    }
    var missing = op.post("/api/v1/agents", Map.of("agent_id", unique("nokey")));
    assertThat(missing.status()).isEqualTo(400);
    assertThat(missing.json().path("error").path("message").asText()).contains("public_key is required");
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aSecondRegistrationOfAnIdConflicts(StoreKind store) {
    ApiClient op = gateways.get(store).operator();
    String id = unique("dup");
    assertThat(op.post("/api/v1/agents", registration(id, key())).status()).isEqualTo(201);
    String first = op.get("/api/v1/agents/" + id).json().path("public_key").asText();

    var again = op.post("/api/v1/agents", registration(id, key()));
    assertThat(again.status()).isEqualTo(409);
    assertThat(again.errorCode()).isEqualTo("already_exists");
    assertThat(again.json().path("error").path("message").asText()).contains(id);
    assertThat(op.get("/api/v1/agents/" + id).json().path("public_key").asText()).as("first key kept").isEqualTo(first);
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void malformedRegistrationsAreRefused(StoreKind store) {
    ApiClient op = gateways.get(store).operator();
    var unknown = op.post("/api/v1/agents", "{\"agent_id\": \"" + unique("u") + "\", \"public_key\": \"" + key()
        + "\", \"lables\": {\"env\": \"prod\"}}");
    assertThat(unknown.status()).isEqualTo(400);
    assertThat(unknown.errorCode()).isEqualTo("unknown_field");
    assertThat(unknown.json().path("error").path("message").asText()).contains("lables").contains("labels");

    var badLabel = registration(unique("l"), key());
    badLabel.put("labels", Map.of("-bad", "x"));
    var r = op.post("/api/v1/agents", badLabel);
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.json().path("error").path("message").asText()).contains("label name '-bad'");

    var badMetadata = registration(unique("m"), key());
    badMetadata.put("metadata", List.of(1, 2));
    assertThat(op.post("/api/v1/agents", badMetadata).json().path("error").path("message").asText())
        .contains("metadata must be a JSON object");

    var hugeMetadata = registration(unique("m"), key());
    hugeMetadata.put("metadata", Map.of("blob", "\u00e9".repeat(9000))); // 18 000 bytes, 9 000 characters
    var huge = op.post("/api/v1/agents", hugeMetadata);
    assertThat(huge.status()).isEqualTo(413);
    assertThat(huge.errorCode()).isEqualTo("payload_too_large");

    assertThat(op.post("/api/v1/agents", "{").errorCode()).isEqualTo("invalid_json");
    assertThat(op.post("/api/v1/agents", "[]").status()).isEqualTo(400);
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void listingPagesThroughEveryAgentOnce(StoreKind store) {
    ApiClient op = gateways.get(store).operator();
    String team = unique("pg");
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      String id = team + "-" + i;
      ids.add(id);
      var body = registration(id, key());
      body.put("labels", Map.of("team", team));
      assertThat(op.post("/api/v1/agents", body).status()).isEqualTo(201);
    }
    List<String> seen = new ArrayList<>();
    String cursor = null;
    int pages = 0;
    do {
      var r = op.get("/api/v1/agents?label=team=" + team + "&limit=3" + (cursor == null ? "" : "&cursor=" + cursor));
      assertThat(r.status()).as(r.toString()).isEqualTo(200);
      assertThat(r.json().path("agents").size()).isLessThanOrEqualTo(3);
      r.json().path("agents").forEach(a -> seen.add(a.path("agent_id").asText()));
      cursor = r.json().path("next_cursor").asText(null);
      pages++;
    } while (cursor != null && pages < 10);
    assertThat(seen).containsExactlyElementsOf(ids);
    assertThat(pages).isEqualTo(3);

    for (String limit : List.of("0", "1001", "-1", "ten")) {
      var r = op.get("/api/v1/agents?limit=" + limit);
      assertThat(r.status()).as(limit).isEqualTo(400);
      assertThat(r.json().path("error").path("message").asText()).contains("limit");
    }
    assertThat(op.get("/api/v1/agents?limit=1000").status()).isEqualTo(200);
    assertThat(op.get("/api/v1/agents?limit=1").json().path("agents").size()).isEqualTo(1);
    var badCursor = op.get("/api/v1/agents?cursor=!!!!");
    assertThat(badCursor.status()).isEqualTo(400);
    assertThat(badCursor.errorCode()).isEqualTo("invalid_cursor");
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void listingFiltersByEveryLabelGivenAndByStatus(StoreKind store) {
    ApiClient op = gateways.get(store).operator();
    String team = unique("flt");
    Map<String, Map<String, String>> agents = Map.of(
        team + "-a", Map.of("team", team, "env", "prod", "os", "linux"),
        team + "-b", Map.of("team", team, "env", "prod", "os", "windows"),
        team + "-c", Map.of("team", team, "env", "dev", "os", "linux"));
    agents.forEach((id, labels) -> {
      var body = registration(id, key());
      body.put("labels", labels);
      assertThat(op.post("/api/v1/agents", body).status()).isEqualTo(201);
    });
    assertThat(op.post("/api/v1/agents/" + team + "-b/deactivate", null).status()).isEqualTo(200);
    String base = "/api/v1/agents?label=team=" + team;

    assertThat(ids(op.get(base))).containsExactly(team + "-a", team + "-b", team + "-c");
    assertThat(ids(op.get(base + "&label=env=prod"))).containsExactly(team + "-a", team + "-b");
    assertThat(ids(op.get(base + "&label=env=prod&label=os=linux"))).containsExactly(team + "-a");
    assertThat(ids(op.get(base + "&label=env=prod&label=os=mac"))).isEmpty();
    assertThat(ids(op.get(base + "&status=inactive"))).containsExactly(team + "-b");
    assertThat(ids(op.get(base + "&status=active&label=os=linux"))).containsExactly(team + "-a", team + "-c");

    var badStatus = op.get(base + "&status=sleeping");
    assertThat(badStatus.status()).isEqualTo(400);
    assertThat(badStatus.json().path("error").path("message").asText()).contains("active or inactive");
    var badSelector = op.get("/api/v1/agents?label=no-equals-sign");
    assertThat(badSelector.status()).isEqualTo(400);
    assertThat(badSelector.json().path("error").path("message").asText()).contains("name=value");
  }

  static List<String> ids(ApiClient.Response r) {
    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    List<String> out = new ArrayList<>();
    r.json().path("agents").forEach(a -> out.add(a.path("agent_id").asText()));
    return out;
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void anAgentReadsItsOwnRecordAndNoOtherAgents(StoreKind store) {
    TestGateway gw = gateways.get(store);
    AgentIdentity agent = AgentIdentity.create("self").register(gw.operator(), Map.of());
    AgentIdentity other = AgentIdentity.create("other").register(gw.operator(), Map.of());
    ApiClient session = agent.session(gw.baseUrl());

    var own = session.get("/api/v1/agents/" + agent.id());
    assertThat(own.status()).isEqualTo(200);
    assertThat(own.json().path("agent_id").asText()).isEqualTo(agent.id());

    var foreign = session.get("/api/v1/agents/" + other.id());
    assertThat(foreign.status()).isEqualTo(403);
    assertThat(foreign.errorCode()).isEqualTo("forbidden");
    for (var attempt : List.of(
        session.get("/api/v1/agents"),
        session.post("/api/v1/agents", registration(unique("x"), key())),
        session.patch("/api/v1/agents/" + agent.id(), Map.of("labels", Map.of("role", "admin"))),
        session.post("/api/v1/agents/" + agent.id() + "/deactivate", null),
        session.delete("/api/v1/agents/" + agent.id()))) {
      assertThat(attempt.status()).as(attempt.toString()).isEqualTo(403);
    }
    assertThat(gw.anonymous().get("/api/v1/agents/" + agent.id()).status()).isEqualTo(401);
    assertThat(gw.operator().get("/api/v1/agents/" + agent.id()).json().path("labels").size()).isZero();
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void patchReplacesLabelsAndMetadata(StoreKind store) {
    ApiClient op = gateways.get(store).operator();
    String id = unique("patch");
    var body = registration(id, key());
    body.put("labels", Map.of("env", "dev", "old", "yes"));
    body.put("metadata", Map.of("rack", 1));
    assertThat(op.post("/api/v1/agents", body).status()).isEqualTo(201);

    var labelled = op.patch("/api/v1/agents/" + id, Map.of("labels", Map.of("env", "prod")));
    assertThat(labelled.status()).as(labelled.toString()).isEqualTo(200);
    assertThat(labelled.json().path("labels")).hasSize(1);
    assertThat(labelled.json().path("labels").path("env").asText()).isEqualTo("prod");
    assertThat(labelled.json().path("metadata").path("rack").asInt()).as("metadata untouched").isEqualTo(1);
    assertThat(ids(op.get("/api/v1/agents?label=env=prod&label=old=yes"))).doesNotContain(id);
    assertThat(ids(op.get("/api/v1/agents?label=env=prod"))).contains(id);

    var described = op.patch("/api/v1/agents/" + id, Map.of("metadata", Map.of("rack", 2, "row", "b")));
    assertThat(described.json().path("metadata").path("row").asText()).isEqualTo("b");
    assertThat(described.json().path("labels").path("env").asText()).as("labels untouched").isEqualTo("prod");
    assertThat(Instant.parse(described.json().path("updated_at").asText()))
        .isAfterOrEqualTo(Instant.parse(described.json().path("created_at").asText()));
    assertThat(op.get("/api/v1/agents/" + id).json()).isEqualTo(described.json());

    assertThat(op.patch("/api/v1/agents/" + id, Map.of()).status()).isEqualTo(400);
    assertThat(op.patch("/api/v1/agents/" + id, Map.of("status", "inactive")).errorCode()).isEqualTo("unknown_field");
    assertThat(op.patch("/api/v1/agents/" + id, Map.of("labels", Map.of("bad key", "v"))).status()).isEqualTo(400);
    assertThat(op.patch("/api/v1/agents/" + unique("ghost"), Map.of("labels", Map.of())).status()).isEqualTo(404);
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void deactivationEndsSessionsUntilTheAgentAuthenticatesAgainAfterReactivation(StoreKind store) {
    TestGateway gw = gateways.get(store);
    ApiClient op = gw.operator();
    AgentIdentity agent = AgentIdentity.create("deact").register(op, Map.of());
    ApiClient session = agent.session(gw.baseUrl());
    assertThat(session.get("/api/v1/agents/" + agent.id()).status()).isEqualTo(200);

    var off = op.post("/api/v1/agents/" + agent.id() + "/deactivate", null);
    assertThat(off.status()).isEqualTo(200);
    assertThat(off.json().path("status").asText()).isEqualTo("inactive");
    var refused = session.get("/api/v1/agents/" + agent.id());
    assertThat(refused.status()).isEqualTo(401);
    assertThat(refused.header("WWW-Authenticate")).isEqualTo("Bearer");
    var auth = gw.anonymous().post("/api/v1/auth", agent.authRequest());
    assertThat(auth.status()).isEqualTo(401);
    assertThat(auth.errorCode()).isEqualTo("authentication_failed");

    var on = op.post("/api/v1/agents/" + agent.id() + "/reactivate", null);
    assertThat(on.status()).isEqualTo(200);
    assertThat(on.json().path("status").asText()).isEqualTo("active");
    assertThat(session.get("/api/v1/agents/" + agent.id()).status()).as("old sessions stay revoked").isEqualTo(401);
    assertThat(agent.session(gw.baseUrl()).get("/api/v1/agents/" + agent.id()).status()).isEqualTo(200);

    assertThat(op.post("/api/v1/agents/" + unique("ghost") + "/deactivate", null).status()).isEqualTo(404);
    assertThat(op.post("/api/v1/agents/" + unique("ghost") + "/reactivate", null).status()).isEqualTo(404);
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aDeletedAgentIsGoneAndItsIdFree(StoreKind store) {
    TestGateway gw = gateways.get(store);
    ApiClient op = gw.operator();
    AgentIdentity agent = AgentIdentity.create("del").register(op, Map.of("env", "prod"));
    ApiClient session = agent.session(gw.baseUrl());

    assertThat(op.delete("/api/v1/agents/" + agent.id()).status()).isEqualTo(204);
    var gone = op.get("/api/v1/agents/" + agent.id());
    assertThat(gone.status()).isEqualTo(404);
    assertThat(gone.errorCode()).isEqualTo("not_found");
    assertThat(op.delete("/api/v1/agents/" + agent.id()).status()).isEqualTo(404);
    assertThat(session.get("/api/v1/agents/" + agent.id()).status()).isEqualTo(401);
    assertThat(gw.anonymous().post("/api/v1/auth", agent.authRequest()).status()).isEqualTo(401);

    // The id can be registered again, with a new key; the old key no longer authenticates.
    AgentIdentity reborn = new AgentIdentity(agent.id(), AgentIdentity.create("k").key());
    reborn.register(op, Map.of());
    assertThat(gw.anonymous().post("/api/v1/auth", agent.authRequest()).status()).isEqualTo(401);
    assertThat(reborn.session(gw.baseUrl()).get("/api/v1/agents/" + agent.id()).status()).isEqualTo(200);
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void deactivateAndReactivateTakeNoBody(StoreKind store) {
    ApiClient op = gateways.get(store).operator();
    String id = Gateways.unique("nobody");
    assertThat(op.post("/api/v1/agents", Map.of("agent_id", id, "public_key",
        io.aegis.protocol.IdentityKeyPair.generate(new java.security.SecureRandom()).publicKey().base64())).status())
        .isEqualTo(201);
    var junk = op.post("/api/v1/agents/" + id + "/deactivate", Map.of("reason", "x".repeat(10_000)));
    assertThat(junk.status()).isEqualTo(400);
    assertThat(junk.json().path("error").path("code").asText()).isEqualTo("unexpected_body");
    assertThat(op.get("/api/v1/agents/" + id).json().path("status").asText()).isEqualTo("active");
    assertThat(op.post("/api/v1/agents/" + id + "/deactivate", Map.of()).status()).isEqualTo(200);
    assertThat(op.post("/api/v1/agents/" + id + "/reactivate", List.of(1, 2)).status()).isEqualTo(400);
    assertThat(op.post("/api/v1/agents/" + id + "/reactivate", null).status()).isEqualTo(200);
  }
}
