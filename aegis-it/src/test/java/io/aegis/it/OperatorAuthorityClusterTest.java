package io.aegis.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.it.testing.TestCluster;
import io.aegis.server.audit.AuditVerifier;
import io.aegis.server.config.Config;
import io.aegis.server.store.Database;
import io.aegis.server.testing.ApiClient;
import io.aegis.server.testing.TestAgent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * Operator authority across nodes: a token revoked through one node is refused by the other at
 * once; two nodes auditing at the same time extend one unbroken chain; a request kept for approval
 * on one node is approved on the other.
 */
class OperatorAuthorityClusterTest {

  @Test
  void tokensAuditAndApprovalsHoldAcrossNodes() throws Exception {
    try (TestCluster cluster = TestCluster.start(2, Map.of("AEGIS_APPROVAL_CHANNELS", "critical"))) {
      var created = cluster.operator(0).post("/api/v1/operator-tokens",
          Map.of("name", "alice", "scopes", List.of("read", "send")));
      assertThat(created.status()).as(created.body()).isEqualTo(201);
      ApiClient aliceOn1 = new ApiClient(cluster.url(1), created.json().path("token").asText());
      assertThat(aliceOn1.get("/api/v1/agents").status()).isEqualTo(200);

      // Two nodes write the audit log at once.
      List<CompletableFuture<ApiClient.Response>> calls = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        calls.add(cluster.operator(i % 2).sendAsync("POST", "/api/v1/enrollment-tokens",
            Map.of("description", "n" + i), Map.of()));
      }
      for (var call : calls) {
        assertThat(call.get().status()).isEqualTo(201);
      }

      // Asked on node 1 by alice, approved on node 0 by another token.
      TestAgent agent = cluster.register("approved-1");
      var asked = aliceOn1.post("/api/v1/agents/approved-1/send", Map.of("channel", "critical", "message", Map.of()));
      assertThat(asked.json().path("status").asText()).isEqualTo("awaiting_approval");
      var approved = cluster.operator(0).post("/api/v1/approvals/" + asked.json().path("approval_id").asText()
          + "/approve", null);
      assertThat(approved.status()).as(approved.body()).isEqualTo(200);
      String messageId = approved.json().path("result").path("message_id").asText();
      try (TestAgent.Session s = agent.at(cluster.url(1)).connect()) {
        assertThat(s.nextNonAck().id()).isEqualTo(messageId);
      }

      // Revoked through node 0: refused by node 1 at its next request.
      assertThat(cluster.operator(0).delete("/api/v1/operator-tokens/" + created.json().path("token_id").asText())
          .status()).isEqualTo(204);
      assertThat(aliceOn1.get("/api/v1/agents").status()).isEqualTo(401);

      Path dataDir = Files.createTempDirectory("aegis-verify");
      try (Database db = Database.open(Config.fromEnvironment(Map.of("DATABASE_URL", cluster.databaseUrl(),
          "AEGIS_DATA_DIR", dataDir.toString())))) {
        AuditVerifier.Report report = new AuditVerifier(db, List.of(cluster.backendKey())).verify();
        assertThat(report.problems()).isEmpty();
        // The token's creation, 200 enrollment tokens, the agent's registration, the request, the
        // approval, the revocation.
        assertThat(report.entries()).isEqualTo(205);
      }
    }
  }
}
