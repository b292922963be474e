package io.aegis.server.artifact;

import static io.aegis.server.artifact.Artifacts.agents;
import static io.aegis.server.artifact.Artifacts.everyone;
import static io.aegis.server.artifact.Artifacts.inline;
import static io.aegis.server.artifact.Artifacts.labels;
import static io.aegis.server.artifact.Artifacts.remote;
import static io.aegis.server.artifact.Artifacts.sha256;
import static io.aegis.server.testing.Gateways.unique;
import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.server.testing.ApiClient;
import io.aegis.server.testing.Gateways;
import io.aegis.server.testing.StoreKind;
import io.aegis.server.testing.TestAgents;
import io.aegis.server.testing.TestGateway;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Publishing, listing, reading and deleting artifacts as an operator. */
class ArtifactApiTest {
  static final int MAX_CONTENT = 4096;
  static final Gateways gateways = new Gateways(Map.of("AEGIS_ARTIFACT_MAX_CONTENT_SIZE", Integer.toString(MAX_CONTENT)));

  @AfterAll
  static void stop() {
    gateways.close();
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void publishedContentIsServedByteForByte(StoreKind store) {
    ApiClient op = gateways.get(store).operator();
    byte[] content = new byte[3000];
    new Random(7).nextBytes(content);
    String name = unique("yara-rules");
    var body = inline(name, "2026.11.25+1", content, labels(Map.of("os", "linux", "env", "prod")));
    body.put("metadata", Map.of("format", "yara", "rules", 412));
    Instant before = Instant.now().minusSeconds(1);

    var r = op.post("/api/v1/artifacts", body);
    assertThat(r.status()).as(r.toString()).isEqualTo(201);
    String id = r.json().path("id").asText();
    assertThat(r.header("Location")).isEqualTo("/api/v1/artifacts/" + id);
    assertThat(r.json().path("name").asText()).isEqualTo(name);
    assertThat(r.json().path("version").asText()).isEqualTo("2026.11.25+1");
    assertThat(r.json().path("sha256").asText()).isEqualTo(sha256(content));
    assertThat(r.json().path("size").asLong()).isEqualTo(3000);
    assertThat(Long.parseLong(r.json().path("cursor").asText())).isPositive();
    assertThat(Instant.parse(r.json().path("created_at").asText())).isAfter(before);
    assertThat(r.json().path("content_url").asText()).isEqualTo("/api/v1/artifacts/" + id + "/content");
    assertThat(r.json().path("target").path("labels").path("os").asText()).isEqualTo("linux");
    assertThat(r.json().path("metadata").path("rules").asInt()).isEqualTo(412);
    assertThat(r.json().has("content")).isFalse();
    assertThat(r.json().has("download_url")).isFalse();

    var got = op.get("/api/v1/artifacts/" + id);
    assertThat(got.status()).isEqualTo(200);
    assertThat(got.json()).isEqualTo(r.json());

    var bytes = op.get("/api/v1/artifacts/" + id + "/content");
    assertThat(bytes.status()).isEqualTo(200);
    assertThat(bytes.raw()).isEqualTo(content);
    assertThat(bytes.header("Content-Type")).isEqualTo("application/octet-stream");
    assertThat(bytes.header("ETag")).isEqualTo("\"" + sha256(content) + "\"");

    var cached = op.get("/api/v1/artifacts/" + id + "/content", Map.of("If-None-Match", bytes.header("ETag")));
    assertThat(cached.status()).isEqualTo(304);
    assertThat(cached.raw()).isEmpty();
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void contentOfADownloadUrlArtifactIsARedirect(StoreKind store) {
    ApiClient op = gateways.get(store).operator();
    String url = "https://cdn.example.com/agent/sensor-4.2.0.tar.gz?sig=abc";
    var r = op.post("/api/v1/artifacts", remote(unique("sensor"), "4.2.0", url, everyone()));
    assertThat(r.status()).as(r.toString()).isEqualTo(201);
    assertThat(r.json().path("download_url").asText()).isEqualTo(url);
    assertThat(r.json().has("content_url")).isFalse();
    assertThat(r.json().path("size").asLong()).isEqualTo(123_456_789L);
    assertThat(r.json().path("target").path("all").asBoolean()).isTrue();

    var content = op.get("/api/v1/artifacts/" + r.json().path("id").asText() + "/content");
    assertThat(content.status()).isEqualTo(303);
    assertThat(content.header("Location")).isEqualTo(url);
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void contentMustMatchTheDeclaredSizeAndChecksum(StoreKind store) {
    ApiClient op = gateways.get(store).operator();
    String name = unique("checked");

    var wrongSize = inline(name, "1", "hello", everyone());
    wrongSize.put("size", 6);
    var r = op.post("/api/v1/artifacts", wrongSize);
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.errorCode()).isEqualTo("size_mismatch");

    var wrongHash = inline(name, "1", "hello", everyone());
    wrongHash.put("sha256", sha256("hellO".getBytes(StandardCharsets.UTF_8)));
    r = op.post("/api/v1/artifacts", wrongHash);
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.errorCode()).isEqualTo("checksum_mismatch");

    // Upper-case hex is the same checksum; it is stored in lower case.
    var upper = inline(name, "1", "hello", everyone());
    upper.put("sha256", ((String) upper.get("sha256")).toUpperCase());
    r = op.post("/api/v1/artifacts", upper);
    assertThat(r.status()).isEqualTo(201);
    assertThat(r.json().path("sha256").asText()).isEqualTo(sha256("hello".getBytes(StandardCharsets.UTF_8)));
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void contentBeyondTheInlineLimitMustUseADownloadUrl(StoreKind store) {
    ApiClient op = gateways.get(store).operator();
    var tooBig = op.post("/api/v1/artifacts", inline(unique("big"), "1", new byte[MAX_CONTENT + 1], everyone()));
    assertThat(tooBig.status()).isEqualTo(413);
    assertThat(tooBig.errorCode()).isEqualTo("payload_too_large");
    assertThat(tooBig.json().path("error").path("message").asText()).contains("download_url").contains(Integer.toString(MAX_CONTENT));

    assertThat(op.post("/api/v1/artifacts", inline(unique("max"), "1", new byte[MAX_CONTENT], everyone())).status())
        .isEqualTo(201);
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void invalidPublicationsAreRefusedWithTheRule(StoreKind store) {
    ApiClient op = gateways.get(store).operator();
    String name = unique("invalid");
    // Each case: what the error message must mention, and how to break a valid body.
    List<Map.Entry<String, Consumer<Map<String, Object>>>> breakages = List.of(
        Map.entry("'name'", b -> b.remove("name")),
        Map.entry("'name'", b -> b.put("name", "-dash-first")),
        Map.entry("'version'", b -> b.put("version", "1 0")),
        Map.entry("'sha256'", b -> b.put("sha256", "abc")),
        Map.entry("'size'", b -> b.put("size", -1)),
        Map.entry("'size'", b -> b.remove("size")),
        Map.entry("exactly one of 'content'", b -> b.put("download_url", "https://example.com/x")),
        Map.entry("exactly one of 'content'", b -> b.remove("content")),
        Map.entry("not base64", b -> b.put("content", "***")),
        Map.entry("canonical base64", b -> b.put("content", "aGVsbG8")),
        Map.entry("'target' is required", b -> b.remove("target")),
        Map.entry("exactly one of 'all'", b -> b.put("target", Map.of("all", true, "agent_ids", List.of("a")))),
        Map.entry("'target.all'", b -> b.put("target", Map.of("all", false))),
        Map.entry("'target.labels'", b -> b.put("target", Map.of("labels", Map.of()))),
        Map.entry("'target.labels' keys", b -> b.put("target", Map.of("labels", Map.of("a=b", "c")))),
        Map.entry("'target.agent_ids'", b -> b.put("target", Map.of("agent_ids", List.of()))),
        // Targets follow the registry's syntax: a target no agent could ever have is refused.
        Map.entry("'target.agent_ids' entries", b -> b.put("target", Map.of("agent_ids", List.of("has space")))),
        Map.entry("'target.labels' keys", b -> b.put("target", Map.of("labels", Map.of("env", "a b")))),
        Map.entry("'metadata'", b -> b.put("metadata", List.of(1))));
    for (var e : breakages) {
      var body = inline(name, "1.0", "hello", everyone());
      e.getValue().accept(body);
      var r = op.post("/api/v1/artifacts", body);
      assertThat(r.status()).as(e.getKey() + " " + r).isEqualTo(400);
      assertThat(r.errorCode()).as(e.getKey()).isEqualTo("invalid_request");
      assertThat(r.json().path("error").path("message").asText()).as(e.getKey()).contains(e.getKey());
    }

    var remoteBody = remote(name, "1.0", "http://example.com/plain", everyone());
    var plainHttp = op.post("/api/v1/artifacts", remoteBody);
    assertThat(plainHttp.status()).isEqualTo(400);
    assertThat(plainHttp.json().path("error").path("message").asText()).contains("https://");
    remoteBody.put("download_url", "https://user:pw@example.com/x");
    assertThat(op.post("/api/v1/artifacts", remoteBody).status()).isEqualTo(400);

    var unknownTop = inline(name, "1.0", "hello", everyone());
    unknownTop.put("checksum", "x");
    var r = op.post("/api/v1/artifacts", unknownTop);
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.errorCode()).isEqualTo("unknown_field");
    var unknownInTarget = inline(name, "1.0", "hello", Map.of("lables", Map.of("a", "b")));
    r = op.post("/api/v1/artifacts", unknownInTarget);
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.errorCode()).isEqualTo("unknown_field");
    assertThat(r.json().path("error").path("message").asText()).contains("lables");

    // None of them was stored: the name and version are still free.
    assertThat(op.post("/api/v1/artifacts", inline(name, "1.0", "hello", everyone())).status()).isEqualTo(201);
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aNameAndVersionIsPublishedOnce(StoreKind store) {
    ApiClient op = gateways.get(store).operator();
    String name = unique("once");
    assertThat(op.post("/api/v1/artifacts", inline(name, "1.0", "a", everyone())).status()).isEqualTo(201);
    var again = op.post("/api/v1/artifacts", inline(name, "1.0", "b", agents("x")));
    assertThat(again.status()).isEqualTo(409);
    assertThat(again.errorCode()).isEqualTo("already_exists");
    assertThat(op.post("/api/v1/artifacts", inline(name, "1.1", "b", everyone())).status()).isEqualTo(201);
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void listPagesThroughArtifactsInPublicationOrder(StoreKind store) {
    ApiClient op = gateways.get(store).operator();
    String name = unique("listed");
    List<String> published = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      published.add(op.post("/api/v1/artifacts", inline(name, "1." + i, "v" + i, agents("b", "a", "b")))
          .json().path("id").asText());
    }
    List<String> seen = new ArrayList<>();
    Map<String, String> targets = new HashMap<>();
    String cursor = null;
    int pages = 0;
    do {
      var r = op.get("/api/v1/artifacts?limit=2" + (cursor == null ? "" : "&cursor=" + cursor));
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.json().path("artifacts").size()).isLessThanOrEqualTo(2);
      r.json().path("artifacts").forEach(a -> {
        seen.add(a.path("id").asText());
        targets.put(a.path("id").asText(), a.path("target").toString());
      });
      cursor = r.json().path("next_cursor").asText(null);
    } while (cursor != null && ++pages < 200);
    assertThat(seen).doesNotHaveDuplicates();
    assertThat(seen.stream().filter(published::contains).toList()).containsExactlyElementsOf(published);
    // Duplicate agent ids are stored once, in a stable order.
    assertThat(targets.get(published.get(0))).isEqualTo("{\"agent_ids\":[\"a\",\"b\"]}");
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void deleteRemovesTheArtifactAndItsContent(StoreKind store) {
    ApiClient op = gateways.get(store).operator();
    String id = op.post("/api/v1/artifacts", inline(unique("temp"), "1", "bytes", agents("a1")))
        .json().path("id").asText();
    var deleted = op.delete("/api/v1/artifacts/" + id);
    assertThat(deleted.status()).isEqualTo(204);
    for (var r : List.of(op.get("/api/v1/artifacts/" + id), op.get("/api/v1/artifacts/" + id + "/content"),
        op.delete("/api/v1/artifacts/" + id))) {
      assertThat(r.status()).isEqualTo(404);
      assertThat(r.errorCode()).isEqualTo("not_found");
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void artifactAdministrationNeedsAnOperator(StoreKind store) {
    TestGateway gw = gateways.get(store);
    String id = gw.operator().post("/api/v1/artifacts", inline(unique("guarded"), "1", "x", everyone()))
        .json().path("id").asText();
    ApiClient agent = gw.withToken(TestAgents.register(gw, unique("agent"), Map.of()));
    for (var r : List.of(agent.post("/api/v1/artifacts", inline(unique("sneaky"), "1", "x", everyone())),
        agent.get("/api/v1/artifacts"), agent.get("/api/v1/artifacts/" + id), agent.delete("/api/v1/artifacts/" + id))) {
      assertThat(r.status()).as(r.toString()).isEqualTo(403);
    }
    assertThat(gw.anonymous().get("/api/v1/artifacts").status()).isEqualTo(401);
    assertThat(gw.anonymous().get("/api/v1/artifacts/" + id + "/content").status()).isEqualTo(401);
    assertThat(gw.operator().get("/api/v1/artifacts/" + id).status()).isEqualTo(200);
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void oneVersionPublishedManyTimesAtOnceIsCreatedOnceAndTheOtherWritesOfItsCommitStand(StoreKind store)
      throws Exception {
    // Publications share the node's group commit: the refused ones must neither write nor undo
    // anything of the writes committed beside them.
    ApiClient op = gateways.get(store).operator();
    String name = unique("raced");
    List<String> others = new ArrayList<>();
    List<java.util.concurrent.Callable<Integer>> calls = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      String other = unique("beside");
      others.add(other);
      calls.add(() -> op.post("/api/v1/artifacts", inline(name, "1", "same", everyone())).status());
      calls.add(() -> op.post("/api/v1/artifacts", inline(other, "1", "other", everyone())).status());
    }
    var pool = java.util.concurrent.Executors.newFixedThreadPool(24);
    List<Integer> raced = new ArrayList<>();
    List<Integer> beside = new ArrayList<>();
    try {
      var futures = pool.invokeAll(calls);
      for (int i = 0; i < futures.size(); i++) {
        (i % 2 == 0 ? raced : beside).add(futures.get(i).get());
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(raced).containsOnly(201, 409).filteredOn(s -> s == 201).hasSize(1);
    assertThat(beside).containsOnly(201);
    List<String> listed = new ArrayList<>();
    for (var a : op.get("/api/v1/artifacts?limit=1000").json().path("artifacts")) {
      listed.add(a.path("name").asText());
    }
    assertThat(listed).containsAll(others);
    assertThat(listed.stream().filter(name::equals)).hasSize(1);
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void publishListenersReceiveTheArtifactAndItsTargetAfterCommit(StoreKind store) {
    TestGateway gw = gateways.get(store);
    String name = unique("pushed");
    List<Artifact> heard = new CopyOnWriteArrayList<>();
    List<Boolean> visible = new CopyOnWriteArrayList<>();
    gw.server().artifacts().onPublish(a -> {
      if (a.name().equals(name)) {
        heard.add(a);
        visible.add(gw.server().artifacts().get(a.id()).isPresent());
      }
    });
    ApiClient op = gw.operator();
    op.post("/api/v1/artifacts", inline(name, "1", "x", labels(Map.of("env", "prod"))));
    op.post("/api/v1/artifacts", inline(name, "1", "y", everyone())); // refused: already exists

    assertThat(heard).hasSize(1);
    assertThat(heard.get(0).target()).isEqualTo(ArtifactTarget.withLabels(Map.of("env", "prod")));
    assertThat(heard.get(0).sha256()).isEqualTo(sha256("x".getBytes(StandardCharsets.UTF_8)));
    assertThat(visible).containsExactly(true);
  }
}
