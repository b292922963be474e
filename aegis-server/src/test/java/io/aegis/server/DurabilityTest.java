package io.aegis.server;

import static io.aegis.server.testing.Gateways.unique;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.aegis.server.testing.AgentIdentity;
import io.aegis.server.testing.ApiClient;
import io.aegis.server.testing.GatewayProcess;
import io.aegis.server.testing.StoreKind;
import io.aegis.server.testing.TestGateway;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * What a 2xx answer acknowledged is still there after a restart and after {@code kill -9} of the
 * gateway process: agents and their state, enrollment token uses, session tokens, policy
 * versions and assignments, artifacts with their content, and events.
 */
class DurabilityTest {

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void whatWasAcknowledgedSurvivesARestart(StoreKind store) {
    try (TestGateway gw = TestGateway.start(store)) {
      Acknowledged ack = Acknowledged.write(gw.baseUrl());
      gw.restart();
      ack.assertStillThere(gw.baseUrl());
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void whatWasAcknowledgedSurvivesKillMinus9(StoreKind store) throws Exception {
    try (TestGateway gw = TestGateway.start(store)) {
      gw.stop(); // the store is the separate processes' now
      Acknowledged ack;
      Set<Integer> streamed = ConcurrentHashMap.newKeySet();
      try (GatewayProcess first = GatewayProcess.start(gw.env())) {
        ack = Acknowledged.write(first.baseUrl());
        // Events keep arriving while the process dies: only the acknowledged ones must survive.
        AtomicBoolean dead = new AtomicBoolean();
        Thread streamer = new Thread(() -> stream(ack.agentSession(first.baseUrl()), ack.agent.id(), streamed, dead));
        streamer.start();
        long deadline = System.currentTimeMillis() + 30_000;
        while (streamed.size() < 20 && System.currentTimeMillis() < deadline) {
          Thread.sleep(10);
        }
        first.kill();
        dead.set(true);
        streamer.join(30_000);
        assertThat(streamed).as(first.log()).hasSizeGreaterThanOrEqualTo(20);
      }
      try (GatewayProcess second = GatewayProcess.start(gw.env())) {
        ack.assertStillThere(second.baseUrl());
        Set<Integer> stored = new HashSet<>();
        readEvents(new ApiClient(second.baseUrl(), TestGateway.OPERATOR_TOKEN), ack.agent.id(), "stream")
            .forEach(e -> stored.add(e.path("body").path("seq").asInt()));
        assertThat(stored).containsAll(streamed);
      }
    }
  }

  /** Posts one-event batches with increasing seq until the node dies; records the acknowledged ones. */
  static void stream(ApiClient session, String agentId, Set<Integer> acknowledged, AtomicBoolean dead) {
    for (int seq = 0; !dead.get(); seq++) {
      try {
        var r = session.post("/api/v1/agents/" + agentId + "/events", Map.of("events",
            List.of(Map.of("type", "stream", "timestamp", System.currentTimeMillis(), "body", Map.of("seq", seq)))));
        if (r.status() == 202) {
          acknowledged.add(seq);
        }
      } catch (UncheckedIOException | IllegalStateException e) {
        return; // the node is gone
      }
    }
  }

  static List<JsonNode> readEvents(ApiClient op, String agentId, String type) {
    var r = op.get("/api/v1/events?agent_id=" + agentId + "&type=" + type + "&limit=1000");
    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    assertThat(r.json().has("next_cursor")).isFalse();
    List<JsonNode> out = new java.util.ArrayList<>();
    r.json().path("events").forEach(out::add);
    return out;
  }

  /** A set of writes, each acknowledged with a 2xx, and the checks that they are all still there. */
  static final class Acknowledged {
    final AgentIdentity agent = AgentIdentity.create("durable");
    final String deactivated = unique("durable-off");
    final String relabelled = unique("durable-relabel");
    final String enrolled = unique("durable-enrolled");
    final String team = unique("team");
    final String policy = unique("durable-policy");
    final byte[] content = ("artifact " + unique("content")).getBytes(StandardCharsets.UTF_8);
    String enrollmentTokenId;
    String sessionToken;
    String artifactId;
    List<String> eventIds;

    static Acknowledged write(String baseUrl) {
      Acknowledged a = new Acknowledged();
      a.writeAll(baseUrl);
      return a;
    }

    private void writeAll(String baseUrl) {
      ApiClient op = new ApiClient(baseUrl, TestGateway.OPERATOR_TOKEN);
      agent.register(op, Map.of("team", team));
      expect(201, op.post("/api/v1/agents", Map.of("agent_id", deactivated, "public_key", key())));
      expect(200, op.post("/api/v1/agents/" + deactivated + "/deactivate", null));
      expect(201, op.post("/api/v1/agents", Map.of("agent_id", relabelled, "public_key", key(),
          "labels", Map.of("old", "yes"))));
      expect(200, op.patch("/api/v1/agents/" + relabelled, Map.of("labels", Map.of("new", "yes"),
          "metadata", Map.of("rack", 9))));

      JsonNode token = expect(201, op.post("/api/v1/enrollment-tokens", Map.of("max_uses", 2,
          "labels", Map.of("team", team)))).json();
      enrollmentTokenId = token.path("id").asText();
      expect(201, new ApiClient(baseUrl, null).post("/api/v1/enroll", Map.of("enrollment_token",
          token.path("token").asText(), "agent_id", enrolled, "public_key", key())));

      expect(201, op.put("/api/v1/policies/" + policy, Map.of("document", Map.of("mode", "audit"))));
      expect(200, op.put("/api/v1/policies/" + policy, Map.of("document", Map.of("mode", "enforce"))));
      expect(201, op.post("/api/v1/policies/" + policy + "/assignments", Map.of("label", "team=" + team)));

      artifactId = expect(201, op.post("/api/v1/artifacts", Map.of("name", unique("rules"), "version", "1.0.0",
          "sha256", sha256(content), "size", content.length, "content", Base64.getEncoder().encodeToString(content),
          "target", Map.of("labels", Map.of("team", team))))).json().path("id").asText();

      sessionToken = agent.authenticate(baseUrl);
      expect(202, new ApiClient(baseUrl, sessionToken).post("/api/v1/agents/" + agent.id() + "/events",
          Map.of("events", List.of(
              Map.of("type", "boot", "timestamp", "2026-11-25T20:40:00Z", "body", Map.of("n", 1)),
              Map.of("type", "boot", "timestamp", "2026-11-25T20:41:00Z", "body", Map.of("n", 2))))));
      eventIds = readEvents(op, agent.id(), "boot").stream().map(e -> e.path("id").asText()).toList();
      assertThat(eventIds).hasSize(2);
    }

    ApiClient agentSession(String baseUrl) {
      return new ApiClient(baseUrl, sessionToken);
    }

    void assertStillThere(String baseUrl) {
      ApiClient op = new ApiClient(baseUrl, TestGateway.OPERATOR_TOKEN);
      JsonNode a = expect(200, op.get("/api/v1/agents/" + agent.id())).json();
      assertThat(a.path("public_key").asText()).isEqualTo(agent.publicKey());
      assertThat(a.path("labels").path("team").asText()).isEqualTo(team);
      assertThat(expect(200, op.get("/api/v1/agents/" + deactivated)).json().path("status").asText())
          .isEqualTo("inactive");
      JsonNode r = expect(200, op.get("/api/v1/agents/" + relabelled)).json();
      assertThat(r.path("labels").has("old")).isFalse();
      assertThat(r.path("labels").path("new").asText()).isEqualTo("yes");
      assertThat(r.path("metadata").path("rack").asInt()).isEqualTo(9);
      assertThat(expect(200, op.get("/api/v1/agents/" + enrolled)).json().path("labels").path("team").asText())
          .isEqualTo(team);
      assertThat(expect(200, op.get("/api/v1/enrollment-tokens/" + enrollmentTokenId)).json().path("use_count").asInt())
          .isEqualTo(1);

      assertThat(expect(200, op.get("/api/v1/policies/" + policy)).json().path("version").asInt()).isEqualTo(2);
      assertThat(expect(200, op.get("/api/v1/policies/" + policy + "/versions/1")).json()
          .path("document").path("mode").asText()).isEqualTo("audit");

      // The agent's session token was acknowledged too: it still works, and sees the policy and artifact.
      ApiClient session = agentSession(baseUrl);
      JsonNode effective = expect(200, session.get("/api/v1/agents/" + agent.id() + "/policies")).json();
      assertThat(effective.path("policies")).extracting(p -> p.path("name").asText()).contains(policy);
      JsonNode feed = expect(200, session.get("/api/v1/agents/" + agent.id() + "/artifacts")).json();
      assertThat(feed.path("artifacts")).extracting(x -> x.path("id").asText()).contains(artifactId);
      var fetched = expect(200, session.get("/api/v1/artifacts/" + artifactId + "/content"));
      assertThat(fetched.raw()).isEqualTo(content);

      assertThat(readEvents(op, agent.id(), "boot")).extracting(e -> e.path("id").asText())
          .containsExactlyInAnyOrderElementsOf(eventIds);
    }

    static String key() {
      return AgentIdentity.create("k").publicKey();
    }

    static ApiClient.Response expect(int status, ApiClient.Response r) {
      assertThat(r.status()).as(r.toString()).isEqualTo(status);
      return r;
    }

    static String sha256(byte[] bytes) {
      try {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
      } catch (java.security.NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
