package io.aegis.server.artifact;

import static io.aegis.server.artifact.Artifacts.agents;
import static io.aegis.server.artifact.Artifacts.everyone;
import static io.aegis.server.artifact.Artifacts.inline;
import static io.aegis.server.artifact.Artifacts.labels;
import static io.aegis.server.artifact.Artifacts.remote;
import static io.aegis.server.testing.Gateways.unique;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.aegis.server.testing.ApiClient;
import io.aegis.server.testing.Gateways;
import io.aegis.server.testing.StoreKind;
import io.aegis.server.testing.TestAgents;
import io.aegis.server.testing.TestGateway;
import java.nio.charset.StandardCharsets;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Agents polling for the artifacts meant for them, and fetching their content. */
class ArtifactPollingApiTest {
  static final Gateways gateways = new Gateways();

  @AfterAll
  static void stop() {
    gateways.close();
  }

  /** The node on {@code store} with no artifacts, so that one test's "all" artifacts do not reach another's agents. */
  static TestGateway emptyFeed(StoreKind store) {
    TestGateway gw = gateways.get(store);
    gw.server().database().transaction(c -> {
      try (Statement s = c.createStatement()) {
        s.executeUpdate("DELETE FROM artifacts");
      }
      return null;
    });
    return gw;
  }

  static String publish(ApiClient op, Map<String, Object> body) {
    var r = op.post("/api/v1/artifacts", body);
    assertThat(r.status()).as(r.toString()).isEqualTo(201);
    return r.json().path("id").asText();
  }

  static List<String> ids(ApiClient.Response poll) {
    assertThat(poll.status()).as(poll.toString()).isEqualTo(200);
    List<String> ids = new ArrayList<>();
    poll.json().path("artifacts").forEach(a -> ids.add(a.path("id").asText()));
    return ids;
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void eachAgentSeesWhatIsTargetedAtIt(StoreKind store) {
    TestGateway gw = emptyFeed(store);
    ApiClient op = gw.operator();
    String web = unique("web");
    String db = unique("db");
    String bare = unique("bare");
    TestAgents.register(gw, web, Map.of("env", "prod", "role", "web"));
    TestAgents.register(gw, db, Map.of("env", "prod", "role", "db"));
    TestAgents.register(gw, bare, Map.of());

    String forAll = publish(op, inline(unique("all"), "1", "a", everyone()));
    String forProdWeb = publish(op, inline(unique("prodweb"), "1", "b", labels(Map.of("env", "prod", "role", "web"))));
    String forDb = publish(op, inline(unique("direct"), "1", "c", agents(db, unique("someone-else"))));
    publish(op, inline(unique("dev"), "1", "d", labels(Map.of("env", "dev")))); // for nobody here
    String forProd = publish(op, remote(unique("prod"), "1", "https://cdn.example.com/p", labels(Map.of("env", "prod"))));

    assertThat(ids(op.get("/api/v1/agents/" + web + "/artifacts"))).containsExactly(forAll, forProdWeb, forProd);
    // db has env=prod but not role=web: a label target needs every one of its labels.
    assertThat(ids(op.get("/api/v1/agents/" + db + "/artifacts"))).containsExactly(forAll, forDb, forProd);
    assertThat(ids(op.get("/api/v1/agents/" + bare + "/artifacts"))).containsExactly(forAll);
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void feedItemsSayWhereToFetchAndHowToVerify(StoreKind store) {
    TestGateway gw = emptyFeed(store);
    ApiClient op = gw.operator();
    String agentId = unique("agent");
    ApiClient agent = gw.withToken(TestAgents.register(gw, agentId, Map.of()));
    var inlineBody = inline(unique("rules"), "3", "rule x {}", everyone());
    inlineBody.put("metadata", Map.of("kind", "yara"));
    String inlineId = publish(op, inlineBody);
    publish(op, remote(unique("sensor"), "4.2.0", "https://cdn.example.com/s.tgz", agents(agentId)));

    var poll = agent.get("/api/v1/agents/" + agentId + "/artifacts");
    assertThat(poll.status()).isEqualTo(200);
    JsonNode first = poll.json().path("artifacts").get(0);
    JsonNode second = poll.json().path("artifacts").get(1);
    assertThat(first.path("id").asText()).isEqualTo(inlineId);
    assertThat(first.path("name").asText()).isEqualTo(inlineBody.get("name"));
    assertThat(first.path("version").asText()).isEqualTo("3");
    assertThat(first.path("sha256").asText()).isEqualTo(inlineBody.get("sha256"));
    assertThat(first.path("size").asInt()).isEqualTo(9);
    assertThat(first.path("content_url").asText()).isEqualTo("/api/v1/artifacts/" + inlineId + "/content");
    assertThat(first.path("metadata").path("kind").asText()).isEqualTo("yara");
    assertThat(first.has("download_url")).isFalse();
    assertThat(first.has("target")).as("an agent is not told whom else an artifact is for").isFalse();
    assertThat(second.path("download_url").asText()).isEqualTo("https://cdn.example.com/s.tgz");
    assertThat(second.has("content_url")).isFalse();
    assertThat(poll.json().path("cursor").asText()).isEqualTo(second.path("cursor").asText());

    var content = agent.get(first.path("content_url").asText());
    assertThat(content.status()).isEqualTo(200);
    assertThat(content.body()).isEqualTo("rule x {}");
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void theCursorResumesAfterWhatWasAlreadySeen(StoreKind store) {
    TestGateway gw = emptyFeed(store);
    ApiClient op = gw.operator();
    String agentId = unique("agent");
    ApiClient agent = gw.withToken(TestAgents.register(gw, agentId, Map.of("site", "lab")));
    String path = "/api/v1/agents/" + agentId + "/artifacts";

    var empty = agent.get(path);
    assertThat(ids(empty)).isEmpty();
    assertThat(empty.json().path("cursor").asText()).isEqualTo("0");

    List<String> published = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      published.add(publish(op, inline(unique("a" + i), "1", "x" + i, labels(Map.of("site", "lab")))));
    }
    // Pages of two, each resuming from the cursor of the previous one.
    List<String> seen = new ArrayList<>();
    String cursor = "0";
    for (int page = 0; page < 3; page++) {
      var r = agent.get(path + "?limit=2&since=" + cursor);
      seen.addAll(ids(r));
      cursor = r.json().path("cursor").asText();
    }
    assertThat(seen).containsExactlyElementsOf(published);

    // Nothing new: an empty answer that hands the same cursor back.
    var nothing = agent.get(path + "?since=" + cursor);
    assertThat(ids(nothing)).isEmpty();
    assertThat(nothing.json().path("cursor").asText()).isEqualTo(cursor);

    // An artifact for someone else does not show up; one for this agent does.
    publish(op, inline(unique("other"), "1", "o", labels(Map.of("site", "hq"))));
    assertThat(ids(agent.get(path + "?since=" + cursor))).isEmpty();
    String fresh = publish(op, inline(unique("fresh"), "1", "f", agents(agentId)));
    var next = agent.get(path + "?since=" + cursor);
    assertThat(ids(next)).containsExactly(fresh);
    assertThat(Long.parseLong(next.json().path("cursor").asText())).isGreaterThan(Long.parseLong(cursor));
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void anUnchangedFeedAnswers304(StoreKind store) {
    TestGateway gw = emptyFeed(store);
    ApiClient op = gw.operator();
    String agentId = unique("agent");
    ApiClient agent = gw.withToken(TestAgents.register(gw, agentId, Map.of("env", "prod")));
    String path = "/api/v1/agents/" + agentId + "/artifacts?since=0";
    publish(op, inline(unique("base"), "1", "b", everyone()));

    var first = agent.get(path);
    String etag = first.header("ETag");
    assertThat(etag).startsWith("\"").endsWith("\"");
    var again = agent.get(path, Map.of("If-None-Match", etag));
    assertThat(again.status()).isEqualTo(304);
    assertThat(again.raw()).isEmpty();

    // A new artifact for this agent changes the answer and its tag.
    String mine = publish(op, inline(unique("mine"), "1", "m", labels(Map.of("env", "prod"))));
    var afterPublish = agent.get(path, Map.of("If-None-Match", etag));
    assertThat(afterPublish.status()).isEqualTo(200);
    assertThat(ids(afterPublish)).contains(mine);
    String etag2 = afterPublish.header("ETag");
    assertThat(etag2).isNotEqualTo(etag);
    assertThat(agent.get(path, Map.of("If-None-Match", etag2)).status()).isEqualTo(304);

    // New labels change what the agent is sent, so the tag changes even though nothing was published.
    String forStaging = publish(op, inline(unique("staging"), "1", "s", labels(Map.of("env", "staging"))));
    String etag3 = agent.get(path).header("ETag");
    TestAgents.setLabels(gw, agentId, Map.of("env", "staging"));
    var afterRelabel = agent.get(path, Map.of("If-None-Match", etag3));
    assertThat(afterRelabel.status()).isEqualTo(200);
    assertThat(ids(afterRelabel)).contains(forStaging).doesNotContain(mine);
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void anAgentFetchesOnlyContentMeantForIt(StoreKind store) {
    TestGateway gw = emptyFeed(store);
    ApiClient op = gw.operator();
    String a = unique("a");
    String b = unique("b");
    ApiClient agentA = gw.withToken(TestAgents.register(gw, a, Map.of("team", "red", "os", "linux")));
    ApiClient agentB = gw.withToken(TestAgents.register(gw, b, Map.of("team", "red")));
    String forA = publish(op, inline(unique("a-only"), "1", "secret", labels(Map.of("team", "red", "os", "linux"))));
    String forAll = publish(op, inline(unique("shared"), "1", "shared", everyone()));
    String remoteForA = publish(op, remote(unique("remote"), "1", "https://cdn.example.com/r", agents(a)));

    assertThat(agentA.get("/api/v1/artifacts/" + forA + "/content").body()).isEqualTo("secret");
    assertThat(agentB.get("/api/v1/artifacts/" + forAll + "/content").body()).isEqualTo("shared");
    assertThat(agentA.get("/api/v1/artifacts/" + remoteForA + "/content").status()).isEqualTo(303);

    // Not for B: indistinguishable from an artifact that does not exist.
    var hidden = agentB.get("/api/v1/artifacts/" + forA + "/content");
    var missing = agentB.get("/api/v1/artifacts/" + java.util.UUID.randomUUID() + "/content");
    assertThat(hidden.status()).isEqualTo(404);
    assertThat(missing.status()).isEqualTo(404);
    assertThat(hidden.errorCode()).isEqualTo(missing.errorCode()).isEqualTo("not_found");
    assertThat(agentB.get("/api/v1/artifacts/" + remoteForA + "/content").status()).isEqualTo(404);
    assertThat(hidden.body()).doesNotContain("secret");
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void anAgentPollsOnlyItsOwnFeed(StoreKind store) {
    TestGateway gw = emptyFeed(store);
    String self = unique("self");
    String other = unique("other");
    ApiClient agent = gw.withToken(TestAgents.register(gw, self, Map.of()));
    TestAgents.register(gw, other, Map.of());

    assertThat(agent.get("/api/v1/agents/" + self + "/artifacts").status()).isEqualTo(200);
    var forbidden = agent.get("/api/v1/agents/" + other + "/artifacts");
    assertThat(forbidden.status()).isEqualTo(403);
    assertThat(forbidden.errorCode()).isEqualTo("forbidden");
    assertThat(gw.anonymous().get("/api/v1/agents/" + self + "/artifacts").status()).isEqualTo(401);
    assertThat(gw.operator().get("/api/v1/agents/" + other + "/artifacts").status()).isEqualTo(200);

    var ghost = gw.operator().get("/api/v1/agents/" + unique("ghost") + "/artifacts");
    assertThat(ghost.status()).isEqualTo(404);
    for (String since : List.of("-1", "abc", "1.5")) {
      var bad = agent.get("/api/v1/agents/" + self + "/artifacts?since=" + since);
      assertThat(bad.status()).as(since).isEqualTo(400);
      assertThat(bad.json().path("error").path("message").asText()).contains("since");
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aDeletedArtifactLeavesTheFeed(StoreKind store) {
    TestGateway gw = emptyFeed(store);
    ApiClient op = gw.operator();
    String agentId = unique("agent");
    TestAgents.register(gw, agentId, Map.of());
    // The deleted one is not the newest, so the highest seq stays the same: the tag must change anyway.
    String drop = publish(op, inline(unique("drop"), "1", "d", agents(agentId)));
    String keep = publish(op, inline(unique("keep"), "1", "k", agents(agentId)));
    String path = "/api/v1/agents/" + agentId + "/artifacts";
    String etag = op.get(path).header("ETag");

    assertThat(op.delete("/api/v1/artifacts/" + drop).status()).isEqualTo(204);
    var after = op.get(path, Map.of("If-None-Match", etag));
    assertThat(after.status()).isEqualTo(200);
    assertThat(ids(after)).containsExactly(keep);
    assertThat(new String(op.get("/api/v1/artifacts/" + keep + "/content").raw(), StandardCharsets.UTF_8)).isEqualTo("k");
  }
}
