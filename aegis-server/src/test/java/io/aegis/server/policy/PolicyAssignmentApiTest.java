package io.aegis.server.policy;

import static io.aegis.server.testing.Gateways.unique;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.aegis.server.testing.ApiClient;
import io.aegis.server.testing.Gateways;
import io.aegis.server.testing.StoreKind;
import io.aegis.server.testing.TestAgents;
import io.aegis.server.testing.TestGateway;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class PolicyAssignmentApiTest {
  static final Gateways gateways = new Gateways();

  @AfterAll
  static void stop() {
    gateways.close();
  }

  static String policy(ApiClient op, String name, Map<String, Object> document) {
    var r = op.put("/api/v1/policies/" + name, Map.of("document", document));
    assertThat(r.status()).as(r.toString()).isIn(200, 201);
    return name;
  }

  static String assign(ApiClient op, String policy, String field, String value) {
    var r = op.post("/api/v1/policies/" + policy + "/assignments", Map.of(field, value));
    assertThat(r.status()).as(r.toString()).isEqualTo(201);
    return r.json().path("id").asText();
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void assignmentsNameAnAgentOrALabelAndAreListed(StoreKind store) {
    ApiClient op = gateways.get(store).operator();
    String name = policy(op, unique("edr"), Map.of());

    var toAgent = op.post("/api/v1/policies/" + name + "/assignments", Map.of("agent_id", "host-17"));
    assertThat(toAgent.status()).isEqualTo(201);
    assertThat(toAgent.json().path("id").asText()).isNotBlank();
    assertThat(toAgent.json().path("policy_name").asText()).isEqualTo(name);
    assertThat(toAgent.json().path("target_type").asText()).isEqualTo("agent");
    assertThat(toAgent.json().path("target_value").asText()).isEqualTo("host-17");
    assertThat(toAgent.json().path("created_at").asText()).isNotBlank();

    var toLabel = op.post("/api/v1/policies/" + name + "/assignments", Map.of("label", "env=prod"));
    assertThat(toLabel.status()).isEqualTo(201);
    assertThat(toLabel.json().path("target_type").asText()).isEqualTo("label");
    assertThat(toLabel.json().path("target_value").asText()).isEqualTo("env=prod");

    var list = op.get("/api/v1/policies/" + name + "/assignments");
    assertThat(list.status()).isEqualTo(200);
    assertThat(list.json().path("assignments")).extracting(a -> a.path("id").asText())
        .containsExactly(toAgent.json().path("id").asText(), toLabel.json().path("id").asText());
    assertThat(list.json().has("next_cursor")).isFalse();
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void assigningTwiceIsAConflict(StoreKind store) {
    ApiClient op = gateways.get(store).operator();
    String name = policy(op, unique("dup"), Map.of());
    assign(op, name, "label", "env=prod");
    assign(op, name, "agent_id", "env.prod"); // a different target, however alike
    // No agent id holds '=' (the registry's syntax), so such an assignment could never match.
    assertThat(op.post("/api/v1/policies/" + name + "/assignments", Map.of("agent_id", "env=prod")).status())
        .isEqualTo(400);

    var again = op.post("/api/v1/policies/" + name + "/assignments", Map.of("label", "env=prod"));
    assertThat(again.status()).isEqualTo(409);
    assertThat(again.errorCode()).isEqualTo("already_assigned");
    assertThat(op.get("/api/v1/policies/" + name + "/assignments").json().path("assignments").size()).isEqualTo(2);
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void anAssignmentNeedsExactlyOneValidTarget(StoreKind store) {
    ApiClient op = gateways.get(store).operator();
    String name = policy(op, unique("targets"), Map.of());
    String path = "/api/v1/policies/" + name + "/assignments";
    for (String bad : List.of("{}", "{\"agent_id\": \"a\", \"label\": \"k=v\"}", "{\"label\": \"no-equals\"}",
        "{\"label\": \"=value\"}", "{\"agent_id\": \"\"}", "{\"agent_id\": \"" + "a".repeat(256) + "\"}",
        "{\"label\": \"" + "k".repeat(64) + "=v\"}", "{\"agent_id\": \"tab\\there\"}")) {
      var r = op.post(path, bad);
      assertThat(r.status()).as(bad).isEqualTo(400);
      assertThat(r.errorCode()).as(bad).isEqualTo("invalid_request");
    }
    var unknown = op.post(path, "{\"labels\": \"k=v\"}");
    assertThat(unknown.status()).isEqualTo(400);
    assertThat(unknown.errorCode()).isEqualTo("unknown_field");
    assertThat(op.get(path).json().path("assignments").size()).isZero();
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void assigningAMissingPolicyIsNotFound(StoreKind store) {
    var r = gateways.get(store).operator()
        .post("/api/v1/policies/" + unique("nope") + "/assignments", Map.of("agent_id", "a1"));
    assertThat(r.status()).isEqualTo(404);
    assertThat(r.errorCode()).isEqualTo("not_found");
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void unassignRemovesOnlyThatAssignmentOfThatPolicy(StoreKind store) {
    ApiClient op = gateways.get(store).operator();
    String a = policy(op, unique("a"), Map.of());
    String b = policy(op, unique("b"), Map.of());
    String idA = assign(op, a, "label", "env=prod");
    String idB = assign(op, b, "label", "env=prod");

    // An assignment id is only valid under its own policy.
    assertThat(op.delete("/api/v1/policies/" + a + "/assignments/" + idB).status()).isEqualTo(404);
    var removed = op.delete("/api/v1/policies/" + a + "/assignments/" + idA);
    assertThat(removed.status()).isEqualTo(204);
    assertThat(op.delete("/api/v1/policies/" + a + "/assignments/" + idA).status()).isEqualTo(404);

    assertThat(op.get("/api/v1/policies/" + a + "/assignments").json().path("assignments").size()).isZero();
    assertThat(op.get("/api/v1/policies/" + b + "/assignments").json().path("assignments").size()).isEqualTo(1);
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void assignmentsArePaginated(StoreKind store) {
    ApiClient op = gateways.get(store).operator();
    String name = policy(op, unique("many"), Map.of());
    List<String> ids = new ArrayList<>();
    for (String target : List.of("a1", "a2", "a3")) {
      ids.add(assign(op, name, "agent_id", target));
    }
    ids.add(assign(op, name, "label", "env=prod"));
    ids.add(assign(op, name, "label", "env=dev"));

    List<String> seen = new ArrayList<>();
    List<Integer> sizes = new ArrayList<>();
    String cursor = null;
    do {
      var r = op.get("/api/v1/policies/" + name + "/assignments?limit=2" + (cursor == null ? "" : "&cursor=" + cursor));
      assertThat(r.status()).isEqualTo(200);
      sizes.add(r.json().path("assignments").size());
      r.json().path("assignments").forEach(x -> seen.add(x.path("target_type").asText() + ":" + x.path("target_value").asText()));
      cursor = r.json().path("next_cursor").asText(null);
    } while (cursor != null);
    assertThat(sizes).containsExactly(2, 2, 1);
    assertThat(seen).containsExactly("agent:a1", "agent:a2", "agent:a3", "label:env=dev", "label:env=prod");
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void effectivePoliciesCombineDirectAndLabelAssignments(StoreKind store) {
    TestGateway gw = gateways.get(store);
    ApiClient op = gw.operator();
    // Label values are unique to this test: other tests of this class assign labels on the same node.
    String prod = unique("prod");
    String web = unique("web");
    String agent = unique("web");
    String other = unique("db");
    TestAgents.register(gw, agent, Map.of("env", prod, "role", web));
    TestAgents.register(gw, other, Map.of("env", prod, "role", "db"));
    String prefix = unique("eff");
    String both = policy(op, prefix + "-a-both", Map.of("v", 1));
    policy(op, both, Map.of("v", 2));
    String byRole = policy(op, prefix + "-b-role", Map.of("role", "web"));
    String notMine = policy(op, prefix + "-c-dev", Map.of());
    String otherAgent = policy(op, prefix + "-d-other", Map.of());
    String partialLabel = policy(op, prefix + "-e-value", Map.of());
    assign(op, both, "agent_id", agent);
    assign(op, both, "label", "env=" + prod);
    assign(op, byRole, "label", "role=" + web);
    assign(op, notMine, "label", "env=" + prod + "-dev");
    assign(op, otherAgent, "agent_id", other);
    assign(op, partialLabel, "label", "role=" + web.substring(1)); // a label value must match exactly

    var r = op.get("/api/v1/agents/" + agent + "/policies");
    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    assertThat(r.json().path("agent_id").asText()).isEqualTo(agent);
    JsonNode policies = r.json().path("policies");
    assertThat(policies).extracting(p -> p.path("name").asText()).containsExactly(both, byRole);
    assertThat(policies.get(0).path("version").asInt()).isEqualTo(2);
    assertThat(policies.get(0).path("document").path("v").asInt()).isEqualTo(2);
    assertThat(policies.get(0).path("assigned_via")).extracting(JsonNode::asText).containsExactly("agent", "label:env=" + prod);
    assertThat(policies.get(1).path("assigned_via")).extracting(JsonNode::asText).containsExactly("label:role=" + web);
    assertThat(policies.get(1).path("document").path("role").asText()).isEqualTo("web");

    var forOther = op.get("/api/v1/agents/" + other + "/policies").json().path("policies");
    assertThat(forOther).extracting(p -> p.path("name").asText()).containsExactly(both, otherAgent);
    assertThat(forOther.get(0).path("assigned_via")).extracting(JsonNode::asText).containsExactly("label:env=" + prod);
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void effectivePoliciesRevalidateWithAnETag(StoreKind store) {
    TestGateway gw = gateways.get(store);
    ApiClient op = gw.operator();
    String agentId = unique("etag");
    String env = unique("prod");
    ApiClient agent = gw.withToken(TestAgents.register(gw, agentId, Map.of("env", env)));
    String name = policy(op, unique("cached"), Map.of("v", 1));
    assign(op, name, "label", "env=" + env);
    String path = "/api/v1/agents/" + agentId + "/policies";

    var first = agent.get(path);
    assertThat(first.status()).isEqualTo(200);
    String etag = first.header("ETag");
    assertThat(etag).isEqualTo("\"" + first.json().path("etag").asText() + "\"");

    var unchanged = agent.get(path, Map.of("If-None-Match", etag));
    assertThat(unchanged.status()).isEqualTo(304);
    assertThat(unchanged.raw()).isEmpty();
    assertThat(unchanged.header("ETag")).isEqualTo(etag);
    assertThat(agent.get(path, Map.of("If-None-Match", "\"something-else\"")).status()).isEqualTo(200);

    policy(op, name, Map.of("v", 2));
    var afterUpdate = agent.get(path, Map.of("If-None-Match", etag));
    assertThat(afterUpdate.status()).isEqualTo(200);
    assertThat(afterUpdate.json().path("policies").get(0).path("version").asInt()).isEqualTo(2);
    String etag2 = afterUpdate.header("ETag");
    assertThat(etag2).isNotEqualTo(etag);

    // A second path to the same policy changes assigned_via, and so the ETag.
    assign(op, name, "agent_id", agentId);
    var afterAssign = agent.get(path, Map.of("If-None-Match", etag2));
    assertThat(afterAssign.status()).isEqualTo(200);
    String etag3 = afterAssign.header("ETag");

    // Losing the label removes the label path.
    TestAgents.setLabels(gw, agentId, Map.of("env", "dev"));
    var afterRelabel = agent.get(path, Map.of("If-None-Match", etag3));
    assertThat(afterRelabel.status()).isEqualTo(200);
    assertThat(afterRelabel.json().path("policies").get(0).path("assigned_via"))
        .extracting(JsonNode::asText).containsExactly("agent");
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void anAgentReadsOnlyItsOwnEffectivePolicies(StoreKind store) {
    TestGateway gw = gateways.get(store);
    String self = unique("self");
    String neighbour = unique("neighbour");
    ApiClient agent = gw.withToken(TestAgents.register(gw, self, Map.of()));
    TestAgents.register(gw, neighbour, Map.of());

    assertThat(agent.get("/api/v1/agents/" + self + "/policies").status()).isEqualTo(200);
    var other = agent.get("/api/v1/agents/" + neighbour + "/policies");
    assertThat(other.status()).isEqualTo(403);
    assertThat(other.errorCode()).isEqualTo("forbidden");
    assertThat(gw.anonymous().get("/api/v1/agents/" + self + "/policies").status()).isEqualTo(401);

    var missing = gw.operator().get("/api/v1/agents/" + unique("ghost") + "/policies");
    assertThat(missing.status()).isEqualTo(404);
    assertThat(missing.errorCode()).isEqualTo("not_found");
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void theJavaApiResolvesTheSameSetAsTheRestApi(StoreKind store) {
    TestGateway gw = gateways.get(store);
    ApiClient op = gw.operator();
    String agent = unique("java");
    TestAgents.register(gw, agent, Map.of("tier", "gold"));
    String name = policy(op, unique("api"), Map.of("k", "v"));
    assign(op, name, "label", "tier=gold");

    EffectivePolicies set = gw.server().policies().effectivePolicies(agent).orElseThrow();
    assertThat(set.policies()).extracting(EffectivePolicy::name).containsExactly(name);
    assertThat(set.policies().get(0).assignedVia()).containsExactly("label:tier=gold");
    assertThat(set.etag()).isEqualTo(op.get("/api/v1/agents/" + agent + "/policies").json().path("etag").asText());
    assertThat(gw.server().policies().effectivePolicies(unique("ghost"))).isEmpty();
  }
}
