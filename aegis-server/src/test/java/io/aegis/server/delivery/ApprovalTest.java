package io.aegis.server.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.aegis.protocol.record.OpenedRecord;
import io.aegis.server.testing.ApiClient;
import io.aegis.server.testing.Gateways;
import io.aegis.server.testing.StoreKind;
import io.aegis.server.testing.TestAgent;
import io.aegis.server.testing.TestGateway;
import io.aegis.server.testing.Waits;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Two-person approval: sends on listed channels and large broadcasts wait for a second operator. */
class ApprovalTest {
  private static final Map<String, String> ENV = Map.of("AEGIS_APPROVAL_CHANNELS", "critical",
      "AEGIS_APPROVAL_THRESHOLD", "1");

  private static ApiClient token(TestGateway gw, String name, String... scopes) {
    var r = gw.operator().post("/api/v1/operator-tokens", Map.of("name", name, "scopes", List.of(scopes)));
    assertThat(r.status()).as(r.body()).isEqualTo(201);
    return gw.withToken(r.json().path("token").asText());
  }

  private static int messages(TestGateway gw, String agentId) {
    return gw.operator().get("/api/v1/agents/" + agentId + "/messages").json().path("messages").size();
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aSendOnAListedChannelGoesOutOnlyWhenASecondOperatorApprovesIt(StoreKind store) {
    try (TestGateway gw = TestGateway.start(store, ENV)) {
      TestAgent agent = TestAgent.register(gw, Gateways.unique("approved"));
      ApiClient alice = token(gw, "alice", "send", "approve", "read");
      ApiClient bob = token(gw, "bob", "approve", "read");
      ApiClient carol = token(gw, "carol", "read");
      String send = "/api/v1/agents/" + agent.agentId() + "/send";
      Map<String, Object> body = Map.of("channel", "critical", "message", Map.of("wipe", true));

      var asked = alice.send("POST", send, body, Map.of("Idempotency-Key", "wipe-1"));
      assertThat(asked.status()).as(asked.body()).isEqualTo(202);
      assertThat(asked.json().path("status").asText()).isEqualTo("awaiting_approval");
      assertThat(asked.json().path("reason").asText()).contains("AEGIS_APPROVAL_CHANNELS");
      assertThat(asked.json().has("message_id")).isFalse();
      // Times to the millisecond, as every answer gives them (docs/API.md, Conventions).
      assertThat(asked.json().path("expires_at").asText()).matches(".*T\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
      String id = asked.json().path("approval_id").asText();
      assertThat(messages(gw, agent.agentId())).isZero();
      // A retry with its key finds the same approval.
      var retried = alice.send("POST", send, body, Map.of("Idempotency-Key", "wipe-1"));
      assertThat(retried.json().path("approval_id").asText()).isEqualTo(id);
      assertThat(retried.header("Idempotent-Replayed")).isEqualTo("true");

      JsonNode pending = bob.get("/api/v1/approvals?status=awaiting_approval").json().path("approvals");
      assertThat(pending).hasSize(1);
      assertThat(pending.get(0).path("approval_id").asText()).isEqualTo(id);
      assertThat(pending.get(0).path("requested_by").path("name").asText()).isEqualTo("alice");
      assertThat(pending.get(0).path("request").path("message").path("wipe").asBoolean()).isTrue();
      assertThat(pending.get(0).path("agent_id").asText()).isEqualTo(agent.agentId());

      var self = alice.post("/api/v1/approvals/" + id + "/approve", null);
      assertThat(self.status()).isEqualTo(403);
      assertThat(self.errorCode()).isEqualTo("self_approval");
      assertThat(carol.post("/api/v1/approvals/" + id + "/approve", null).errorCode()).isEqualTo("insufficient_scope");
      assertThat(messages(gw, agent.agentId())).isZero();

      try (TestAgent.Session session = agent.connect()) {
        var approved = bob.post("/api/v1/approvals/" + id + "/approve", null);
        assertThat(approved.status()).as(approved.body()).isEqualTo(200);
        assertThat(approved.json().path("status").asText()).isEqualTo("approved");
        assertThat(approved.json().path("decided_by").path("name").asText()).isEqualTo("bob");
        assertThat(approved.json().path("result_status").asInt()).isEqualTo(202);
        String messageId = approved.json().path("result").path("message_id").asText();
        OpenedRecord received = session.nextNonAck();
        assertThat(received.id()).isEqualTo(messageId);
        assertThat(received.channel()).isEqualTo("critical");

        assertThat(bob.post("/api/v1/approvals/" + id + "/approve", null).errorCode())
            .isEqualTo("not_awaiting_approval");
        assertThat(gw.operator().get("/api/v1/approvals/" + id).json().path("result").path("message_id").asText())
            .isEqualTo(messageId);
        // The retry after approval is the message's own replay: still one message.
        var late = alice.send("POST", send, body, Map.of("Idempotency-Key", "wipe-1"));
        assertThat(late.json().path("message_id").asText()).isEqualTo(messageId);
        assertThat(messages(gw, agent.agentId())).isEqualTo(1);

        // Both steps are in the audit log, the approval with the message it created.
        JsonNode audit = gw.operator().get("/api/v1/audit?limit=10").json().path("entries");
        assertThat(audit).anyMatch(e -> e.path("action").asText().equals("POST /api/v1/approvals/{approval_id}/approve")
            && e.path("status").asInt() == 200 && e.path("message_ids").toString().contains(messageId)
            && e.path("token_name").asText().equals("bob"));
        assertThat(audit).anyMatch(e -> e.path("action").asText().equals("POST /api/v1/agents/{agent_id}/send")
            && e.path("status").asInt() == 202 && e.path("token_name").asText().equals("alice")
            && e.path("message_ids").isEmpty());
      }
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aLargeBroadcastWaitsAndARejectedOneIsNeverSent(StoreKind store) {
    try (TestGateway gw = TestGateway.start(store, ENV)) {
      String label = Gateways.unique("fleet");
      TestAgent a = TestAgent.register(gw, Gateways.unique("a"), Map.of("group", label));
      TestAgent b = TestAgent.register(gw, Gateways.unique("b"), Map.of("group", label));
      ApiClient bob = token(gw, "bob", "approve", "read");
      Map<String, Object> broadcast = Map.of("channel", "commands", "message", Map.of("scan", 1),
          "queue_offline", true, "target", Map.of("labels", Map.of("group", label)));

      // One agent is within AEGIS_APPROVAL_THRESHOLD (1): it goes at once.
      var small = gw.operator().post("/api/v1/agents/broadcast", Map.of("channel", "commands", "message", Map.of(),
          "queue_offline", true, "target", Map.of("agent_ids", List.of(a.agentId()))));
      assertThat(small.json().path("counts").path("queued").asInt()).isEqualTo(1);

      var asked = gw.operator().post("/api/v1/agents/broadcast", broadcast);
      assertThat(asked.status()).isEqualTo(202);
      assertThat(asked.json().path("reason").asText()).contains("2 agents").contains("AEGIS_APPROVAL_THRESHOLD");
      String id = asked.json().path("approval_id").asText();
      var rejected = bob.post("/api/v1/approvals/" + id + "/reject", null);
      assertThat(rejected.status()).isEqualTo(200);
      assertThat(rejected.json().path("status").asText()).isEqualTo("rejected");
      assertThat(bob.post("/api/v1/approvals/" + id + "/approve", null).errorCode()).isEqualTo("not_awaiting_approval");
      assertThat(messages(gw, a.agentId())).isEqualTo(1);
      assertThat(messages(gw, b.agentId())).isZero();

      var again = gw.operator().post("/api/v1/agents/broadcast", broadcast);
      var approved = bob.post("/api/v1/approvals/" + again.json().path("approval_id").asText() + "/approve", null);
      assertThat(approved.json().path("result").path("counts").path("queued").asInt()).isEqualTo(2);
      assertThat(messages(gw, b.agentId())).isEqualTo(1);

      // A batch item on a listed channel is refused alone: it must be asked on its own.
      var batch = gw.operator().post("/api/v1/messages", Map.of("messages", List.of(
          Map.of("agent_id", a.agentId(), "channel", "critical", "message", Map.of()),
          Map.of("agent_id", a.agentId(), "channel", "commands", "message", Map.of()))));
      assertThat(batch.json().path("results").get(0).path("error").path("code").asText()).isEqualTo("approval_required");
      assertThat(batch.json().path("results").get(1).has("message_id")).isTrue();
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aRequestWhoseTokenWasRevokedCannotBeApproved(StoreKind store) {
    try (TestGateway gw = TestGateway.start(store, ENV)) {
      TestAgent agent = TestAgent.register(gw, Gateways.unique("revoked"));
      var created = gw.operator().post("/api/v1/operator-tokens", Map.of("name", "mallory", "scopes", List.of("send")));
      ApiClient mallory = gw.withToken(created.json().path("token").asText());
      ApiClient bob = token(gw, "bob", "approve", "read");
      String id = mallory.post("/api/v1/agents/" + agent.agentId() + "/send",
          Map.of("channel", "critical", "message", Map.of())).json().path("approval_id").asText();
      gw.operator().delete("/api/v1/operator-tokens/" + created.json().path("token_id").asText());

      var refused = bob.post("/api/v1/approvals/" + id + "/approve", null);
      assertThat(refused.status()).isEqualTo(409);
      assertThat(refused.errorCode()).isEqualTo("requester_revoked");
      assertThat(bob.post("/api/v1/approvals/" + id + "/reject", null).status()).isEqualTo(200);
      assertThat(messages(gw, agent.agentId())).isZero();
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void anUnapprovedRequestExpires(StoreKind store) {
    Map<String, String> env = new java.util.HashMap<>(ENV);
    env.put("AEGIS_APPROVAL_TIMEOUT", "1s");
    try (TestGateway gw = TestGateway.start(store, env)) {
      TestAgent agent = TestAgent.register(gw, Gateways.unique("expiring"));
      ApiClient bob = token(gw, "bob", "approve", "read");
      String id = gw.operator().post("/api/v1/agents/" + agent.agentId() + "/send",
          Map.of("channel", "critical", "message", Map.of())).json().path("approval_id").asText();
      Awaitility.await().atMost(Waits.EVENT).until(() ->
          bob.get("/api/v1/approvals/" + id).json().path("status").asText().equals("expired"));
      assertThat(bob.get("/api/v1/approvals?status=expired").json().path("approvals")).hasSize(1);
      assertThat(bob.get("/api/v1/approvals?status=awaiting_approval").json().path("approvals")).isEmpty();
      assertThat(bob.post("/api/v1/approvals/" + id + "/approve", null).errorCode()).isEqualTo("not_awaiting_approval");
      assertThat(messages(gw, agent.agentId())).isZero();
      assertThat(bob.get("/api/v1/approvals?status=maybe").status()).isEqualTo(400);
      assertThat(bob.get("/api/v1/approvals/00000000-0000-4000-8000-000000000000").status()).isEqualTo(404);
    }
  }
}
