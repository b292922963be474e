package io.aegis.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.server.api.RouteSpec;
import io.aegis.server.api.Scope;
import io.aegis.server.testing.ApiClient;
import io.aegis.server.testing.Gateways;
import io.aegis.server.testing.StoreKind;
import io.aegis.server.testing.TestAgent;
import io.aegis.server.testing.TestGateway;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Operator tokens with scopes, a label selector and an expiry, managed through the API. */
class OperatorScopesTest {
  static TestGateway gw;

  @BeforeAll
  static void start() {
    gw = TestGateway.start(StoreKind.SQLITE);
  }

  @AfterAll
  static void stop() {
    gw.close();
  }

  /** A new token made through the API by the bootstrap token; its secret. */
  static String token(TestGateway gw, Map<String, Object> request) {
    var r = gw.operator().post("/api/v1/operator-tokens", request);
    assertThat(r.status()).as(r.body()).isEqualTo(201);
    assertThat(r.json().path("token").asText()).startsWith("aegis_op_");
    return r.json().path("token").asText();
  }

  static ApiClient client(TestGateway gw, String... scopes) {
    return gw.withToken(token(gw, Map.of("name", "test " + String.join(" ", scopes), "scopes", List.of(scopes))));
  }

  @Test
  void everyRouteRefusesATokenWithoutItsScope() {
    List<String> checked = new ArrayList<>();
    for (RouteSpec route : gw.server().routes()) {
      if (route.access().scope() == null) {
        continue; // public or agent-only
      }
      Scope needed = route.access().scope();
      List<String> others = Arrays.stream(Scope.values())
          .filter(s -> s != needed && s != Scope.ADMIN).map(Scope::wire).toList();
      ApiClient without = client(gw, others.toArray(String[]::new));
      String path = route.openApiPath().replaceAll("\\{[a-z_]+}", "x1");
      var r = without.send(route.method(), path, route.method().equals("GET") || route.method().equals("DELETE")
          ? null : Map.of(), Map.of());
      assertThat(r.status()).as(route + ": " + r.body()).isEqualTo(403);
      assertThat(r.errorCode()).as(route.toString()).isEqualTo("insufficient_scope");
      assertThat(r.json().path("error").path("message").asText()).contains("'" + needed.wire() + "'");
      checked.add(route.method() + " " + route.openApiPath());
    }
    assertThat(checked).hasSizeGreaterThan(40).contains("POST /api/v1/agents/{agent_id}/send",
        "POST /api/v1/operator-tokens", "GET /api/v1/audit", "POST /api/v1/approvals/{approval_id}/approve");
  }

  @Test
  void aScopeAdmitsWhatItNamesAndAdminAdmitsEverything() {
    TestAgent agent = TestAgent.register(gw, Gateways.unique("scoped"));
    ApiClient reader = client(gw, "read");
    ApiClient sender = client(gw, "send");
    ApiClient admin = client(gw, "admin");
    String send = "/api/v1/agents/" + agent.agentId() + "/send";
    Map<String, Object> body = Map.of("channel", "commands", "message", Map.of("run", 1));

    assertThat(reader.get("/api/v1/agents/" + agent.agentId()).status()).isEqualTo(200);
    assertThat(reader.post(send, body).errorCode()).isEqualTo("insufficient_scope");
    assertThat(sender.post(send, body).status()).isEqualTo(202);
    assertThat(sender.get("/api/v1/agents/" + agent.agentId()).errorCode()).isEqualTo("insufficient_scope");
    assertThat(admin.post(send, body).status()).isEqualTo(202);
    assertThat(admin.get("/api/v1/operator-tokens").status()).isEqualTo(200);
    assertThat(reader.get("/api/v1/operator-tokens").errorCode()).isEqualTo("insufficient_scope");
  }

  @Test
  void aTokenIsListedWithoutItsSecretAndARevocationTakesEffectAtOnce() {
    var created = gw.operator().post("/api/v1/operator-tokens",
        Map.of("name", "ci deploys", "scopes", List.of("send", "read"), "expires_in", "30d"));
    String id = created.json().path("token_id").asText();
    ApiClient holder = gw.withToken(created.json().path("token").asText());
    assertThat(holder.get("/api/v1/agents").status()).isEqualTo(200);

    var listed = gw.operator().get("/api/v1/operator-tokens").json().path("operator_tokens");
    var mine = java.util.stream.StreamSupport.stream(listed.spliterator(), false)
        .filter(t -> t.path("token_id").asText().equals(id)).findFirst().orElseThrow();
    assertThat(mine.path("name").asText()).isEqualTo("ci deploys");
    assertThat(mine.path("scopes").toString()).isEqualTo("[\"read\",\"send\"]");
    assertThat(mine.has("token")).isFalse();
    assertThat(created.json().path("expires_at").asText()).matches(".*T\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
    assertThat(mine.path("expires_at").asText()).isEqualTo(created.json().path("expires_at").asText());
    assertThat(mine.path("active").asBoolean()).isTrue();
    assertThat(mine.path("created_by").asText()).isEqualTo(OperatorTokens.BOOTSTRAP_ID);
    assertThat(java.time.Instant.parse(mine.path("expires_at").asText()))
        .isAfter(java.time.Instant.now().plus(java.time.Duration.ofDays(29)));

    assertThat(gw.operator().delete("/api/v1/operator-tokens/" + id).status()).isEqualTo(204);
    var refused = holder.get("/api/v1/agents");
    assertThat(refused.status()).isEqualTo(401);
    assertThat(gw.operator().get("/api/v1/operator-tokens/" + id).json().path("revoked").asBoolean()).isTrue();
    assertThat(gw.operator().delete("/api/v1/operator-tokens/00000000-0000-4000-8000-000000000000").status()).isEqualTo(404);
  }

  @Test
  void anExpiredTokenIsRefused() {
    var created = gw.operator().post("/api/v1/operator-tokens", Map.of("name", "short", "scopes", List.of("read"),
        "expires_in", "1h"));
    ApiClient holder = gw.withToken(created.json().path("token").asText());
    assertThat(holder.get("/api/v1/agents").status()).isEqualTo(200);
    gw.server().database().transaction(c -> {
      try (PreparedStatement ps = c.prepareStatement("UPDATE operator_tokens SET expires_at = ? WHERE id = ?")) {
        gw.server().database().dialect().setInstant(ps, 1, java.time.Instant.now().minusSeconds(1));
        ps.setString(2, created.json().path("token_id").asText());
        return ps.executeUpdate();
      }
    });
    assertThat(holder.get("/api/v1/agents").status()).isEqualTo(401);
  }

  @Test
  void aTokenLimitedToALabelReachesOnlyAgentsCarryingIt() {
    String team = Gateways.unique("team");
    TestAgent ours = TestAgent.register(gw, Gateways.unique("ours"), Map.of("team", team));
    TestAgent theirs = TestAgent.register(gw, Gateways.unique("theirs"), Map.of("team", "other"));
    ApiClient limited = gw.withToken(token(gw, Map.of("name", "team token", "scopes",
        List.of("read", "send", "broadcast"), "agents", Map.of("label", "team=" + team))));
    Map<String, Object> body = Map.of("channel", "commands", "message", Map.of("run", 1));

    assertThat(limited.post("/api/v1/agents/" + ours.agentId() + "/send", body).status()).isEqualTo(202);
    var hidden = limited.post("/api/v1/agents/" + theirs.agentId() + "/send", body);
    assertThat(hidden.status()).isEqualTo(404);
    assertThat(hidden.errorCode()).isEqualTo("not_found");
    assertThat(limited.get("/api/v1/agents/" + theirs.agentId()).status()).isEqualTo(404);

    var listed = limited.get("/api/v1/agents").json().path("agents");
    assertThat(listed).hasSize(1);
    assertThat(listed.get(0).path("agent_id").asText()).isEqualTo(ours.agentId());

    var broadcast = limited.post("/api/v1/agents/broadcast", Map.of("channel", "commands", "message", Map.of(),
        "queue_offline", true, "target", Map.of("agent_ids", List.of(ours.agentId(), theirs.agentId()))));
    assertThat(broadcast.status()).as(broadcast.body()).isEqualTo(202);
    assertThat(broadcast.json().path("queued").toString()).isEqualTo("[\"" + ours.agentId() + "\"]");

    var batch = limited.post("/api/v1/messages", Map.of("messages", List.of(
        Map.of("agent_id", ours.agentId(), "channel", "commands", "message", Map.of()),
        Map.of("agent_id", theirs.agentId(), "channel", "commands", "message", Map.of()))));
    assertThat(batch.json().path("results").get(0).has("message_id")).isTrue();
    assertThat(batch.json().path("results").get(1).path("error").path("code").asText()).isEqualTo("not_found");

    String otherMessage = gw.operator().post("/api/v1/agents/" + theirs.agentId() + "/send", body)
        .json().path("message_id").asText();
    assertThat(limited.get("/api/v1/messages/" + otherMessage).status()).isEqualTo(404);
    assertThat(limited.delete("/api/v1/messages/" + otherMessage).status()).isEqualTo(404);
    assertThat(gw.operator().get("/api/v1/messages/" + otherMessage).json().path("status").asText()).isEqualTo("pending");

    // A view of the whole fleet is not for a token that may see part of it.
    var fleet = limited.get("/api/v1/fleet/summary");
    assertThat(fleet.status()).isEqualTo(403);
    assertThat(fleet.errorCode()).isEqualTo("insufficient_scope");
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void badTokenRequestsAreRefusedWithTheirReason(StoreKind store) {
    try (TestGateway g = TestGateway.start(store)) {
      record Bad(Map<String, Object> body, String code, String says) {}
      for (Bad bad : List.of(
          new Bad(Map.of("scopes", List.of("read")), "invalid_request", "name"),
          new Bad(Map.of("name", "x", "scopes", List.of()), "invalid_request", "scopes"),
          new Bad(Map.of("name", "x", "scopes", List.of("root")), "unknown_scope", "root"),
          new Bad(Map.of("name", "x", "scopes", List.of("admin"), "agents", Map.of("label", "a=b")),
              "invalid_request", "admin"),
          new Bad(Map.of("name", "x", "scopes", List.of("read"), "agents", Map.of("label", "no-equals")),
              "invalid_request", "name=value"),
          new Bad(Map.of("name", "x", "scopes", List.of("read"), "agents", Map.of("team", "a")),
              "invalid_request", "label"),
          new Bad(Map.of("name", "x", "scopes", List.of("read"), "expires_in", "soon"), "invalid_request", "expires_in"),
          new Bad(Map.of("name", "x", "scopes", List.of("read"), "expires_in", "3651d"), "invalid_request", "3650d"),
          new Bad(Map.of("name", "x", "scopes", List.of("read"), "extra", 1), "unknown_field", "extra"))) {
        var r = g.operator().post("/api/v1/operator-tokens", bad.body());
        assertThat(r.status()).as(bad.toString()).isEqualTo(400);
        assertThat(r.errorCode()).as(bad.toString()).isEqualTo(bad.code());
        assertThat(r.json().path("error").path("message").asText()).as(bad.toString()).contains(bad.says());
      }
      assertThat(g.operator().get("/api/v1/operator-tokens").json().path("operator_tokens")).isEmpty();
    }
  }
}
