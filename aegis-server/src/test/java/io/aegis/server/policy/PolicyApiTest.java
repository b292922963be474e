package io.aegis.server.policy;

import static io.aegis.server.testing.Gateways.unique;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.aegis.server.testing.ApiClient;
import io.aegis.server.testing.Gateways;
import io.aegis.server.testing.StoreKind;
import io.aegis.server.testing.TestAgents;
import io.aegis.server.testing.TestGateway;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class PolicyApiTest {
  static final Gateways gateways = new Gateways();

  @AfterAll
  static void stop() {
    gateways.close();
  }

  static Map<String, Object> doc(Object... kv) {
    var m = new java.util.LinkedHashMap<String, Object>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void firstPutCreatesVersionOneAndEachUpdateTheNext(StoreKind store) {
    ApiClient op = gateways.get(store).operator();
    String name = unique("fw.rules");
    Instant before = Instant.now().minusSeconds(1);

    var created = op.put("/api/v1/policies/" + name,
        Map.of("document", doc("block", List.of(22, 23), "mode", "enforce"), "description", "ssh off"));
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
    assertThat(created.header("Location")).isEqualTo("/api/v1/policies/" + name + "/versions/1");
    assertThat(created.json().path("name").asText()).isEqualTo(name);
    assertThat(created.json().path("version").asInt()).isEqualTo(1);
    assertThat(created.json().path("document").path("block").toString()).isEqualTo("[22,23]");
    assertThat(created.json().path("description").asText()).isEqualTo("ssh off");
    assertThat(Instant.parse(created.json().path("created_at").asText())).isAfter(before);

    var updated = op.put("/api/v1/policies/" + name, Map.of("document", doc("mode", "audit")));
    assertThat(updated.status()).isEqualTo(200);
    assertThat(updated.json().path("version").asInt()).isEqualTo(2);
    assertThat(updated.json().has("description")).isFalse();

    var latest = op.get("/api/v1/policies/" + name);
    assertThat(latest.status()).isEqualTo(200);
    assertThat(latest.json().path("version").asInt()).isEqualTo(2);
    assertThat(latest.json().path("document").path("mode").asText()).isEqualTo("audit");

    var first = op.get("/api/v1/policies/" + name + "/versions/1");
    assertThat(first.status()).isEqualTo(200);
    assertThat(first.json().path("document").path("mode").asText()).isEqualTo("enforce");
    assertThat(first.json().path("description").asText()).isEqualTo("ssh off");
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void policyNamesMustFollowTheRule(StoreKind store) {
    ApiClient op = gateways.get(store).operator();
    var body = Map.of("document", doc("a", 1));
    for (String bad : List.of("-leading-dash", ".hidden", "has%20space", "x".repeat(129), "caf%C3%A9")) {
      var r = op.put("/api/v1/policies/" + bad, body);
      assertThat(r.status()).as(bad).isEqualTo(400);
      assertThat(r.errorCode()).isEqualTo("invalid_request");
      assertThat(r.json().path("error").path("message").asText()).contains("1-128 characters");
    }
    String longest = "p" + unique("").substring(1) + "x".repeat(119);
    assertThat(longest).hasSize(128);
    assertThat(op.put("/api/v1/policies/" + longest, body).status()).isEqualTo(201);
    assertThat(op.put("/api/v1/policies/" + unique("A_b.c"), body).status()).isEqualTo(201);
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void theDocumentMustBeAJsonObject(StoreKind store) {
    ApiClient op = gateways.get(store).operator();
    String path = "/api/v1/policies/" + unique("doc");
    for (String bad : List.of("{\"document\": [1, 2]}", "{\"document\": \"allow\"}", "{\"document\": null}",
        "{\"description\": \"no document\"}", "{\"document\": 7}")) {
      var r = op.put(path, bad);
      assertThat(r.status()).as(bad).isEqualTo(400);
      assertThat(r.errorCode()).isEqualTo("invalid_request");
      assertThat(r.json().path("error").path("message").asText()).contains("'document'");
    }
    var unknown = op.put(path, "{\"document\": {}, \"descripton\": \"typo\"}");
    assertThat(unknown.status()).isEqualTo(400);
    assertThat(unknown.errorCode()).isEqualTo("unknown_field");
    assertThat(unknown.json().path("error").path("message").asText()).contains("descripton");

    var malformed = op.put(path, "{\"document\": {");
    assertThat(malformed.status()).isEqualTo(400);
    assertThat(malformed.errorCode()).isEqualTo("invalid_json");
    // Nothing was stored by any of the refused requests.
    assertThat(op.get(path).status()).isEqualTo(404);
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void listShowsTheLatestVersionOfEachPolicyPageByPage(StoreKind store) {
    ApiClient op = gateways.get(store).operator();
    String prefix = unique("list");
    for (int i = 0; i < 5; i++) {
      op.put("/api/v1/policies/" + prefix + "-" + i, Map.of("document", doc("v", 1)));
    }
    op.put("/api/v1/policies/" + prefix + "-3", Map.of("document", doc("v", 2)));

    List<JsonNode> mine = new ArrayList<>();
    List<String> all = new ArrayList<>();
    String cursor = null;
    int pages = 0;
    do {
      var r = op.get("/api/v1/policies?limit=2" + (cursor == null ? "" : "&cursor=" + cursor));
      assertThat(r.status()).as(r.toString()).isEqualTo(200);
      assertThat(r.json().path("policies").size()).isLessThanOrEqualTo(2);
      for (JsonNode p : r.json().path("policies")) {
        all.add(p.path("name").asText());
        if (p.path("name").asText().startsWith(prefix)) {
          mine.add(p);
        }
      }
      cursor = r.json().path("next_cursor").asText(null);
      pages++;
    } while (cursor != null && pages < 100);

    assertThat(all).doesNotHaveDuplicates();
    assertThat(mine).extracting(p -> p.path("name").asText())
        .containsExactly(prefix + "-0", prefix + "-1", prefix + "-2", prefix + "-3", prefix + "-4");
    assertThat(mine).extracting(p -> p.path("version").asInt()).containsExactly(1, 1, 1, 2, 1);
    assertThat(mine.get(3).path("document").path("v").asInt()).isEqualTo(2);
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void historyIsNewestFirstAcrossPages(StoreKind store) {
    ApiClient op = gateways.get(store).operator();
    String name = unique("hist");
    for (int v = 1; v <= 5; v++) {
      op.put("/api/v1/policies/" + name, Map.of("document", doc("v", v)));
    }
    List<Integer> versions = new ArrayList<>();
    String cursor = null;
    List<Integer> pageSizes = new ArrayList<>();
    do {
      var r = op.get("/api/v1/policies/" + name + "/versions?limit=2" + (cursor == null ? "" : "&cursor=" + cursor));
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.json().path("name").asText()).isEqualTo(name);
      pageSizes.add(r.json().path("versions").size());
      for (JsonNode v : r.json().path("versions")) {
        versions.add(v.path("version").asInt());
        assertThat(v.path("document").path("v").asInt()).isEqualTo(v.path("version").asInt());
      }
      cursor = r.json().path("next_cursor").asText(null);
    } while (cursor != null);
    assertThat(versions).containsExactly(5, 4, 3, 2, 1);
    assertThat(pageSizes).containsExactly(2, 2, 1);
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void missingPoliciesAndVersionsAreNotFound(StoreKind store) {
    ApiClient op = gateways.get(store).operator();
    String name = unique("exists");
    op.put("/api/v1/policies/" + name, Map.of("document", doc()));
    String missing = unique("missing");

    for (var r : List.of(op.get("/api/v1/policies/" + missing), op.get("/api/v1/policies/" + missing + "/versions"),
        op.get("/api/v1/policies/" + name + "/versions/2"), op.delete("/api/v1/policies/" + missing),
        op.get("/api/v1/policies/" + missing + "/assignments"))) {
      assertThat(r.status()).as(r.toString()).isEqualTo(404);
      assertThat(r.errorCode()).isEqualTo("not_found");
    }
    var notANumber = op.get("/api/v1/policies/" + name + "/versions/latest");
    assertThat(notANumber.status()).isEqualTo(400);
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void deleteRemovesEveryVersionAndAssignment(StoreKind store) {
    TestGateway gw = gateways.get(store);
    ApiClient op = gw.operator();
    String agent = unique("agent");
    TestAgents.register(gw, agent, Map.of());
    String name = unique("gone");
    op.put("/api/v1/policies/" + name, Map.of("document", doc("v", 1)));
    op.put("/api/v1/policies/" + name, Map.of("document", doc("v", 2)));
    assertThat(op.post("/api/v1/policies/" + name + "/assignments", Map.of("agent_id", agent)).status()).isEqualTo(201);

    var deleted = op.delete("/api/v1/policies/" + name);
    assertThat(deleted.status()).isEqualTo(204);
    assertThat(deleted.raw()).isEmpty();
    assertThat(op.get("/api/v1/policies/" + name).status()).isEqualTo(404);
    assertThat(op.get("/api/v1/policies/" + name + "/versions/1").status()).isEqualTo(404);
    assertThat(op.get("/api/v1/agents/" + agent + "/policies").json().path("policies").size()).isZero();

    // The name is free again: a new policy starts at version 1 with no assignments.
    var again = op.put("/api/v1/policies/" + name, Map.of("document", doc("v", 3)));
    assertThat(again.status()).isEqualTo(201);
    assertThat(again.json().path("version").asInt()).isEqualTo(1);
    assertThat(op.get("/api/v1/policies/" + name + "/assignments").json().path("assignments").size()).isZero();
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void concurrentUpdatesGetDistinctVersions(StoreKind store) throws Exception {
    ApiClient op = gateways.get(store).operator();
    String name = unique("race");
    int writers = 12;
    List<ApiClient.Response> answers;
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    try {
      List<Future<ApiClient.Response>> futures = IntStream.range(0, writers)
          .mapToObj(i -> pool.submit(() -> op.put("/api/v1/policies/" + name, Map.of("document", doc("writer", i)))))
          .toList();
      answers = new ArrayList<>();
      for (var f : futures) {
        answers.add(f.get());
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(answers).allSatisfy(r -> assertThat(r.status()).as(r.toString()).isIn(200, 201));
    assertThat(answers).filteredOn(r -> r.status() == 201).hasSize(1);
    assertThat(answers).extracting(r -> r.json().path("version").asInt())
        .containsExactlyInAnyOrderElementsOf(IntStream.rangeClosed(1, writers).boxed().toList());
    // Each stored version holds the document of the writer that was told it got that version.
    for (var r : answers) {
      var stored = op.get("/api/v1/policies/" + name + "/versions/" + r.json().path("version").asInt());
      assertThat(stored.json().path("document")).isEqualTo(r.json().path("document"));
    }
    assertThat(op.get("/api/v1/policies/" + name).json().path("version").asInt()).isEqualTo(writers);
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void policyAdministrationNeedsAnOperator(StoreKind store) {
    TestGateway gw = gateways.get(store);
    String name = unique("guarded");
    gw.operator().put("/api/v1/policies/" + name, Map.of("document", doc()));
    ApiClient agent = gw.withToken(TestAgents.register(gw, unique("agent"), Map.of()));

    for (var r : List.of(agent.put("/api/v1/policies/" + name, Map.of("document", doc())),
        agent.get("/api/v1/policies"), agent.get("/api/v1/policies/" + name),
        agent.get("/api/v1/policies/" + name + "/versions"), agent.delete("/api/v1/policies/" + name),
        agent.post("/api/v1/policies/" + name + "/assignments", Map.of("label", "a=b")))) {
      assertThat(r.status()).as(r.toString()).isEqualTo(403);
      assertThat(r.errorCode()).isEqualTo("forbidden");
    }
    var anonymous = gw.anonymous().get("/api/v1/policies/" + name);
    assertThat(anonymous.status()).isEqualTo(401);
    assertThat(anonymous.errorCode()).isEqualTo("unauthorized");
    assertThat(gw.withToken("aegis_op_not-a-real-token").get("/api/v1/policies").status()).isEqualTo(401);
    // The refused delete did not happen.
    assertThat(gw.operator().get("/api/v1/policies/" + name).status()).isEqualTo(200);
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void badPagingParametersAreRefused(StoreKind store) {
    ApiClient op = gateways.get(store).operator();
    var cursor = op.get("/api/v1/policies?cursor=not-a-cursor!");
    assertThat(cursor.status()).isEqualTo(400);
    assertThat(cursor.errorCode()).isEqualTo("invalid_cursor");
    for (String limit : List.of("0", "1001", "ten")) {
      var r = op.get("/api/v1/policies?limit=" + limit);
      assertThat(r.status()).as(limit).isEqualTo(400);
      assertThat(r.json().path("error").path("message").asText()).contains("limit");
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void changeListenersHearOfEveryCommittedChange(StoreKind store) {
    TestGateway gw = gateways.get(store);
    String name = unique("pushed");
    List<PolicyChange> heard = new CopyOnWriteArrayList<>();
    List<Integer> visibleVersion = new CopyOnWriteArrayList<>();
    gw.server().policies().onChange(c -> {
      if (c.name().equals(name)) {
        heard.add(c);
        visibleVersion.add(gw.server().policies().latest(name).map(PolicyVersion::version).orElse(0));
      }
    });
    ApiClient op = gw.operator();
    op.put("/api/v1/policies/" + name, Map.of("document", doc()));
    op.put("/api/v1/policies/" + name, Map.of("document", doc()));
    String id = op.post("/api/v1/policies/" + name + "/assignments", Map.of("label", "env=prod")).json().path("id").asText();
    op.delete("/api/v1/policies/" + name + "/assignments/" + id);
    op.put("/api/v1/policies/" + name + "-x", "{\"document\": []}"); // refused: no change
    op.delete("/api/v1/policies/" + name);

    assertThat(heard).containsExactly(
        new PolicyChange(name, 1, PolicyChange.Kind.VERSION_CREATED),
        new PolicyChange(name, 2, PolicyChange.Kind.VERSION_CREATED),
        new PolicyChange(name, 2, PolicyChange.Kind.ASSIGNMENTS_CHANGED),
        new PolicyChange(name, 2, PolicyChange.Kind.ASSIGNMENTS_CHANGED),
        new PolicyChange(name, 2, PolicyChange.Kind.DELETED));
    // Listeners run after commit: what they are told is already what readers see.
    assertThat(visibleVersion).containsExactly(1, 2, 2, 2, 0);
  }
}
