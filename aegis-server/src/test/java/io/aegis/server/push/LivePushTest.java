package io.aegis.server.push;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.aegis.protocol.record.OpenedRecord;
import io.aegis.protocol.record.VerificationResult;
import io.aegis.server.testing.Gateways;
import io.aegis.server.testing.StoreKind;
import io.aegis.server.testing.TestAgent;
import io.aegis.server.testing.TestGateway;
import io.aegis.server.testing.Waits;
import java.time.Duration;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Policy and artifact changes reach agents without their asking. */
class LivePushTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final Gateways gateways = new Gateways();

  @AfterAll
  static void stop() {
    gateways.close();
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void policyChangesArriveLiveAndOfflineAgentsCatchUpOnReconnect(StoreKind store) throws Exception {
    TestGateway gw = gateways.get(store);
    String site = Gateways.unique("site");
    String policy = Gateways.unique("fw");
    TestAgent agent = TestAgent.register(gw, Gateways.unique("pp"), Map.of("site", site));
    gw.operator().put("/api/v1/policies/" + policy, Map.of("document", Map.of("mode", "audit")));
    gw.operator().post("/api/v1/policies/" + policy + "/assignments", Map.of("label", "site=" + site));

    try (TestAgent.Session s = agent.connect()) {
      // On connect: the current set (never delivered before).
      OpenedRecord first = s.nextNonAck();
      assertThat(first.channel()).isEqualTo("policy");
      assertThat(agent.verifier().verify(first)).isEqualTo(VerificationResult.ACCEPTED);
      assertThat(mode(first, policy)).isEqualTo("audit");
      s.ack(first.id());

      // A new version: pushed at once.
      gw.operator().put("/api/v1/policies/" + policy, Map.of("document", Map.of("mode", "enforce")));
      OpenedRecord live = s.nextNonAck();
      assertThat(live.channel()).isEqualTo("policy");
      assertThat(mode(live, policy)).isEqualTo("enforce");
      assertThat(live.headers()).containsKey("etag");
      s.ack(live.id());
      // Recorded as delivered: else the next session would carry it again, as unacknowledged.
      Awaitility.await().atMost(Waits.EVENT).until(() -> gw.operator().get("/api/v1/messages/" + live.id())
          .json().path("status").asText().equals("delivered"));
    }
    // Reconnect with nothing changed: nothing is pushed again.
    try (TestAgent.Session s = agent.connect()) {
      s.expectNothing(Waits.QUIET);
    }
    // Changed while offline: pushed on reconnect.
    gw.operator().put("/api/v1/policies/" + policy, Map.of("document", Map.of("mode", "block")));
    try (TestAgent.Session s = agent.connect()) {
      OpenedRecord caughtUp = s.nextNonAck();
      assertThat(mode(caughtUp, policy)).isEqualTo("block");
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aNewArtifactIsPushedToTheAgentsItTargets(StoreKind store) throws Exception {
    TestGateway gw = gateways.get(store);
    String ring = Gateways.unique("ring");
    TestAgent targeted = TestAgent.register(gw, Gateways.unique("art"), Map.of("ring", ring));
    TestAgent other = TestAgent.register(gw, Gateways.unique("nart"));
    try (TestAgent.Session s = targeted.connect(); TestAgent.Session o = other.connect()) {
      String id = publish(gw, Map.of("labels", Map.of("ring", ring)));
      OpenedRecord pushed = s.nextNonAck();
      assertThat(pushed.channel()).isEqualTo("artifacts");
      assertThat(pushed.id()).isEqualTo("artifact:" + id);
      assertThat(JSON.readTree(pushed.body()).path("sha256").asText()).isEqualTo(sha256(RULES));
      o.expectNothing(Duration.ofMillis(500));
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void anArtifactForALabelSetOrForListedAgentsIsPushedToThoseAgentsOnly(StoreKind store) throws Exception {
    TestGateway gw = gateways.get(store);
    String ring = Gateways.unique("ring");
    TestAgent both = TestAgent.register(gw, Gateways.unique("both"), Map.of("ring", ring, "zone", "eu"));
    TestAgent oneLabel = TestAgent.register(gw, Gateways.unique("one"), Map.of("ring", ring, "zone", "us"));
    TestAgent listed = TestAgent.register(gw, Gateways.unique("listed"));
    try (TestAgent.Session b = both.connect(); TestAgent.Session o = oneLabel.connect();
         TestAgent.Session l = listed.connect()) {
      String forLabels = publish(gw, Map.of("labels", Map.of("ring", ring, "zone", "eu")));
      OpenedRecord pushed = b.nextNonAck();
      assertThat(pushed.id()).isEqualTo("artifact:" + forLabels);
      // The pushed descriptor is the one the polling feed lists.
      JsonNode body = JSON.readTree(pushed.body());
      assertThat(body.path("content_url").asText()).isEqualTo("/api/v1/artifacts/" + forLabels + "/content");
      assertThat(pushed.headers()).containsEntry("cursor", body.path("cursor").asText());

      String forListed = publish(gw, Map.of("agent_ids", java.util.List.of(listed.agentId())));
      assertThat(l.nextNonAck().id()).isEqualTo("artifact:" + forListed);
      o.expectNothing(Duration.ofMillis(500));
      b.expectNothing(Duration.ofMillis(100));
    }
  }

  private static final byte[] RULES = "rule x {}".getBytes();

  /** Publishes an artifact with {@link #RULES} as its content to {@code target}; returns its id. */
  private static String publish(TestGateway gw, Map<String, Object> target) throws Exception {
    var r = gw.operator().post("/api/v1/artifacts", Map.of("name", Gateways.unique("rules"), "version", "1",
        "sha256", sha256(RULES), "size", RULES.length,
        "content", java.util.Base64.getEncoder().encodeToString(RULES), "target", target));
    assertThat(r.status()).isEqualTo(201);
    return r.json().path("id").asText();
  }

  private static String mode(OpenedRecord r, String policy) throws Exception {
    for (JsonNode p : JSON.readTree(r.body()).path("policies")) {
      if (p.path("name").asText().equals(policy)) {
        return p.path("document").path("mode").asText();
      }
    }
    throw new AssertionError("policy " + policy + " not in " + r.bodyText());
  }

  private static String sha256(byte[] b) throws Exception {
    return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(b));
  }
}
