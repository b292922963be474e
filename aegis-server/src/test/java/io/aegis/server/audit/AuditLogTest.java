package io.aegis.server.audit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.aegis.server.auth.OperatorTokens;
import io.aegis.server.testing.ApiClient;
import io.aegis.server.testing.Gateways;
import io.aegis.server.testing.StoreKind;
import io.aegis.server.testing.TestAgent;
import io.aegis.server.testing.TestGateway;
import io.aegis.server.testing.Waits;
import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The audit log: what operators did, hash-chained, signed, and checked by {@link AuditVerifier}. */
class AuditLogTest {

  private static TestGateway start(StoreKind store) {
    return TestGateway.start(store, Map.of("AEGIS_AUDIT_SIGN_INTERVAL", "1s"));
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void everyStateChangingOperatorRequestIsRecordedWithItsOutcome(StoreKind store) {
    try (TestGateway gw = start(store)) {
      TestAgent agent = TestAgent.register(gw, Gateways.unique("audited"));
      var created = gw.operator().post("/api/v1/operator-tokens", Map.of("name", "reader", "scopes", List.of("read")));
      ApiClient reader = gw.withToken(created.json().path("token").asText());
      String send = "/api/v1/agents/" + agent.agentId() + "/send";
      String body = "{\"channel\":\"commands\",\"message\":{\"run\":1}}";
      String messageId = gw.operator().send("POST", send, body, Map.of()).json().path("message_id").asText();
      assertThat(reader.send("POST", send, body, Map.of()).status()).isEqualTo(403);
      reader.get("/api/v1/agents"); // a read: not recorded

      JsonNode entries = gw.operator().get("/api/v1/audit").json().path("entries");
      // Newest first: the refused send, the send, the token's creation, the agent's registration.
      assertThat(entries).hasSize(4);
      JsonNode refused = entries.get(0);
      assertThat(refused.path("token_id").asText()).isEqualTo(created.json().path("token_id").asText());
      assertThat(refused.path("token_name").asText()).isEqualTo("reader");
      assertThat(refused.path("status").asInt()).isEqualTo(403);
      assertThat(refused.path("error_code").asText()).isEqualTo("insufficient_scope");
      assertThat(refused.path("message_ids")).isEmpty();
      JsonNode sent = entries.get(1);
      assertThat(sent.path("token_id").asText()).isEqualTo(OperatorTokens.BOOTSTRAP_ID);
      assertThat(sent.path("action").asText()).isEqualTo("POST /api/v1/agents/{agent_id}/send");
      assertThat(sent.path("resource").asText()).isEqualTo(send);
      assertThat(sent.path("status").asInt()).isEqualTo(202);
      assertThat(sent.path("error_code").asText()).isEmpty();
      assertThat(sent.path("message_ids").toString()).isEqualTo("[\"" + messageId + "\"]");
      assertThat(sent.path("body_digest").asText()).isEqualTo(AuditEntry.digest(body.getBytes(StandardCharsets.UTF_8)));
      assertThat(sent.path("address").asText()).isEqualTo("127.0.0.1");
      assertThat(sent.path("node_id").asText()).isEqualTo(gw.server().config().nodeId());
      assertThat(entries.get(2).path("action").asText()).isEqualTo("POST /api/v1/operator-tokens");
      assertThat(entries.get(3).path("action").asText()).isEqualTo("POST /api/v1/agents");
      // A chain: each entry names the one before it.
      for (int i = 0; i < 3; i++) {
        assertThat(entries.get(i).path("prev_hash").asText()).isEqualTo(entries.get(i + 1).path("hash").asText());
      }
      assertThat(entries.get(3).path("prev_hash").asText()).isEqualTo(AuditEntry.GENESIS);

      // Filters and paging.
      var page = gw.operator().get("/api/v1/audit?limit=1&token_id=" + OperatorTokens.BOOTSTRAP_ID).json();
      assertThat(page.path("entries").get(0).path("seq").asLong()).isEqualTo(sent.path("seq").asLong());
      var next = gw.operator().get("/api/v1/audit?limit=1&token_id=" + OperatorTokens.BOOTSTRAP_ID + "&cursor="
          + page.path("next_cursor").asText()).json();
      assertThat(next.path("entries").get(0).path("action").asText()).isEqualTo("POST /api/v1/operator-tokens");
      assertThat(gw.operator().get("/api/v1/audit?message_id=" + messageId).json().path("entries")).hasSize(1);
      assertThat(gw.operator().get("/api/v1/audit?token_id=a'b").status()).isEqualTo(400);
      assertThat(reader.get("/api/v1/audit").errorCode()).isEqualTo("insufficient_scope");
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void theVerifierFindsEveryChangedRemovedOrReorderedEntry(StoreKind store) {
    try (TestGateway gw = start(store)) {
      for (int i = 0; i < 5; i++) {
        gw.operator().post("/api/v1/enrollment-tokens", Map.of("description", "batch " + i));
      }
      // The periodic signer covers the head.
      Awaitility.await().atMost(Waits.EVENT).until(() -> gw.operator().get("/api/v1/audit/checkpoints").json()
          .path("checkpoints").path(0).path("seq").asLong() == 5);
      AuditVerifier verifier = new AuditVerifier(gw.server().database(), List.of(gw.server().identity().publicKey()));
      AuditVerifier.Report clean = verifier.verify();
      assertThat(clean.problems()).isEmpty();
      assertThat(clean.entries()).isEqualTo(5);
      assertThat(clean.lastSignedSeq()).isEqualTo(5);

      sql(gw, "UPDATE audit_log SET resource = '/api/v1/elsewhere' WHERE seq = 2");
      assertThat(verifier.verify().problems()).anyMatch(p -> p.contains("entry 2 was changed"));
      sql(gw, "UPDATE audit_log SET resource = '/api/v1/enrollment-tokens' WHERE seq = 2");
      assertThat(verifier.verify().problems()).isEmpty();

      // Reordered: entries 2 and 3 swap places.
      sql(gw, "UPDATE audit_log SET seq = 100 WHERE seq = 2");
      sql(gw, "UPDATE audit_log SET seq = 2 WHERE seq = 3");
      sql(gw, "UPDATE audit_log SET seq = 3 WHERE seq = 100");
      assertThat(verifier.verify().problems()).anyMatch(p -> p.contains("does not follow"));
      sql(gw, "UPDATE audit_log SET seq = 100 WHERE seq = 2");
      sql(gw, "UPDATE audit_log SET seq = 2 WHERE seq = 3");
      sql(gw, "UPDATE audit_log SET seq = 3 WHERE seq = 100");
      assertThat(verifier.verify().problems()).isEmpty();

      // Removed, in the middle and at the end.
      sql(gw, "DELETE FROM audit_log WHERE seq = 3");
      assertThat(verifier.verify().problems()).anyMatch(p -> p.contains("entry 3 is missing"));
      sql(gw, "DELETE FROM audit_log WHERE seq >= 4");
      assertThat(verifier.verify().problems()).anyMatch(p -> p.contains("the head says entry 5"));
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aChainRewrittenWithFreshHashesFailsItsSignedCheckpoint(StoreKind store) {
    try (TestGateway gw = start(store)) {
      for (int i = 0; i < 3; i++) {
        gw.operator().post("/api/v1/enrollment-tokens", Map.of("description", "batch " + i));
      }
      Awaitility.await().atMost(Waits.EVENT).until(() -> gw.operator().get("/api/v1/audit/checkpoints").json()
          .path("checkpoints").path(0).path("seq").asLong() == 3);
      // Someone with write access to the store rewrites entry 2 and recomputes every hash after it.
      gw.server().database().transaction(c -> {
        String prev = null;
        for (long seq = 1; seq <= 3; seq++) {
          AuditEntry e;
          try (PreparedStatement ps = c.prepareStatement("SELECT * FROM audit_log WHERE seq = ?")) {
            ps.setLong(1, seq);
            try (var rs = ps.executeQuery()) {
              rs.next();
              e = AuditLog.entry(rs);
            }
          }
          AuditEntry forged = new AuditEntry(e.seq(), e.atMillis(), e.nodeId(), e.tokenId(), e.tokenName(),
              seq == 2 ? "10.9.9.9" : e.address(), e.action(), e.resource(), e.status(), e.errorCode(),
              e.messageIds(), e.bodyDigest(), prev == null ? e.prevHash() : prev, null).sealed();
          try (PreparedStatement ps = c.prepareStatement("UPDATE audit_log SET address = ?, prev_hash = ?, hash = ? "
              + "WHERE seq = ?")) {
            ps.setString(1, forged.address());
            ps.setString(2, forged.prevHash());
            ps.setString(3, forged.hash());
            ps.setLong(4, seq);
            ps.executeUpdate();
          }
          prev = forged.hash();
        }
        try (PreparedStatement ps = c.prepareStatement("UPDATE audit_head SET hash = ? WHERE id = 1")) {
          ps.setString(1, prev);
          ps.executeUpdate();
        }
        return null;
      });
      AuditVerifier.Report report = new AuditVerifier(gw.server().database(),
          List.of(gw.server().identity().publicKey())).verify();
      assertThat(report.problems()).containsExactly(
          "checkpoint 3 signed a chain that is no longer there (entries up to 3 were rewritten or removed)");
      // And a checkpoint under a key nobody trusts is no checkpoint.
      var stranger = io.aegis.protocol.IdentityKeyPair.generate(new java.security.SecureRandom()).publicKey();
      assertThat(new AuditVerifier(gw.server().database(), List.of(stranger)).verify().problems())
          .anyMatch(p -> p.contains("not trusted"));
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void concurrentRequestsExtendOneUnbrokenChain(StoreKind store) throws Exception {
    try (TestGateway gw = start(store)) {
      List<java.util.concurrent.CompletableFuture<ApiClient.Response>> calls = new java.util.ArrayList<>();
      for (int i = 0; i < 300; i++) {
        calls.add(gw.operator().sendAsync("POST", "/api/v1/enrollment-tokens", Map.of("description", "n" + i),
            Map.of()));
      }
      for (var call : calls) {
        assertThat(call.get().status()).isEqualTo(201);
      }
      AuditVerifier.Report report = new AuditVerifier(gw.server().database(),
          List.of(gw.server().identity().publicKey())).verify();
      assertThat(report.problems()).isEmpty();
      assertThat(report.entries()).isEqualTo(300);
      assertThat(report.lastSeq()).isEqualTo(300);
    }
  }

  /**
   * A send knows its answer before its commit (202 and its message id, or a key's first answer),
   * so its entry goes in that commit: the client waits for one commit, not two. The entries are
   * the same as those the router writes after an answer, and the chain stays whole beside them.
   */
  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aSendsEntryIsWrittenInTheSendsOwnCommit(StoreKind store) throws Exception {
    try (TestGateway gw = start(store)) {
      TestAgent agent = TestAgent.register(gw, Gateways.unique("one-commit"));
      String send = "/api/v1/agents/" + agent.agentId() + "/send";
      String body = "{\"channel\":\"commands\",\"message\":{\"run\":1}}";

      double before = commits(gw);
      for (int i = 0; i < 20; i++) {
        assertThat(gw.operator().send("POST", send, body, Map.of()).status()).isEqualTo(202);
      }
      // One commit each (two before: the message's, then its entry's); a little room for the
      // node's own background writes.
      assertThat(commits(gw) - before).isLessThan(30);

      // Keyed sends, a key used again, a batch and other audited requests, all at once.
      List<java.util.concurrent.CompletableFuture<ApiClient.Response>> calls = new java.util.ArrayList<>();
      for (int i = 0; i < 40; i++) {
        calls.add(gw.operator().sendAsync("POST", send, body, Map.of("Idempotency-Key", "k" + (i % 20))));
        calls.add(gw.operator().sendAsync("POST", "/api/v1/enrollment-tokens", Map.of("description", "n" + i),
            Map.of()));
      }
      String batch = "{\"messages\":[{\"agent_id\":\"" + agent.agentId() + "\",\"channel\":\"c\",\"message\":{\"n\":1}},"
          + "{\"agent_id\":\"nobody-here\",\"channel\":\"c\",\"message\":{\"n\":2}},"
          + "{\"agent_id\":\"" + agent.agentId() + "\",\"channel\":\"c\",\"message\":{\"n\":3}}]}";
      ApiClient.Response batched = gw.operator().send("POST", "/api/v1/messages", batch, Map.of());
      assertThat(batched.status()).isEqualTo(200);
      java.util.Map<String, String> keyed = new java.util.HashMap<>();
      for (int i = 0; i < calls.size(); i++) {
        ApiClient.Response r = calls.get(i).get();
        assertThat(r.status()).isIn(201, 202);
        if (i % 2 == 0) { // the same key answers with the same message, whichever request came first
          String id = r.json().path("message_id").asText();
          assertThat(keyed.putIfAbsent("k" + (i / 2 % 20), id)).isIn(null, id);
        }
      }

      JsonNode sends = gw.operator().get("/api/v1/audit?limit=200&action=POST%20/api/v1/agents/%7Bagent_id%7D/send")
          .json().path("entries");
      assertThat(sends).hasSize(60);
      java.util.Map<String, Integer> entriesPerMessage = new java.util.HashMap<>();
      sends.forEach(e -> {
        assertThat(e.path("status").asInt()).isEqualTo(202);
        assertThat(e.path("message_ids")).hasSize(1);
        entriesPerMessage.merge(e.path("message_ids").get(0).asText(), 1, Integer::sum);
      });
      // Each key's message is named by both requests that used the key.
      keyed.values().forEach(id -> assertThat(entriesPerMessage.get(id)).isEqualTo(2));
      JsonNode batchEntry = gw.operator().get("/api/v1/audit?action=POST%20/api/v1/messages").json().path("entries");
      assertThat(batchEntry).hasSize(1);
      assertThat(batchEntry.get(0).path("status").asInt()).isEqualTo(200);
      List<String> batchIds = new java.util.ArrayList<>();
      batched.json().path("results").forEach(r -> {
        if (r.has("message_id")) {
          batchIds.add(r.path("message_id").asText());
        }
      });
      assertThat(batchIds).hasSize(2);
      assertThat(batchEntry.get(0).path("message_ids").toString()).isEqualTo(
          "[\"" + batchIds.get(0) + "\",\"" + batchIds.get(1) + "\"]");

      AuditVerifier.Report report = new AuditVerifier(gw.server().database(),
          List.of(gw.server().identity().publicKey())).verify();
      assertThat(report.problems()).isEmpty();
      assertThat(report.entries()).isEqualTo(1 + 60 + 40 + 1); // the registration, sends, tokens, batch
    }
  }

  /** Group commits so far ({@code aegis_store_commit_seconds_count}, every writer). */
  private static double commits(TestGateway gw) {
    double n = 0;
    for (String line : gw.anonymous().get("/metrics").body().split("\n")) {
      if (line.startsWith("aegis_store_commit_seconds_count")) {
        n += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return n;
  }

  @org.junit.jupiter.api.Test
  void aStoppingNodeSignsWhatItAppendedLast() {
    try (TestGateway gw = TestGateway.start(StoreKind.SQLITE)) { // the periodic signer (1m) does not come
      gw.operator().post("/api/v1/enrollment-tokens", Map.of());
      gw.operator().post("/api/v1/enrollment-tokens", Map.of());
      var key = gw.server().identity().publicKey();
      gw.stop();
      try (var db = io.aegis.server.store.Database.open(io.aegis.server.config.Config.fromEnvironment(gw.env()))) {
        AuditVerifier.Report report = new AuditVerifier(db, List.of(key)).verify();
        assertThat(report.problems()).isEmpty();
        assertThat(report.lastSignedSeq()).isEqualTo(2);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aLogPrunedAtACheckpointStillVerifiesAndStillCatchesTampering(StoreKind store) {
    try (TestGateway gw = start(store)) {
      for (int i = 0; i < 4; i++) {
        gw.operator().post("/api/v1/enrollment-tokens", Map.of());
      }
      Awaitility.await().atMost(Waits.EVENT).until(() -> gw.operator().get("/api/v1/audit/checkpoints").json()
          .path("checkpoints").path(0).path("seq").asLong() == 4);
      gw.operator().post("/api/v1/enrollment-tokens", Map.of());
      gw.operator().post("/api/v1/enrollment-tokens", Map.of());
      AuditVerifier verifier = new AuditVerifier(gw.server().database(), List.of(gw.server().identity().publicKey()));

      // Through the newest checkpoint before the last entry: 4, or 5 if the signer came between.
      AuditLog.Pruned pruned = AuditLog.prune(gw.server().database(), java.time.Instant.now().plusSeconds(60));
      long through = pruned.throughSeq();
      assertThat(through).isBetween(4L, 5L);
      assertThat(pruned.removed()).isEqualTo((int) through);
      AuditVerifier.Report report = verifier.verify();
      assertThat(report.problems()).isEmpty();
      assertThat(report.prunedThrough()).isEqualTo(through);
      assertThat(report.entries()).isEqualTo(6 - through);
      assertThat(report.lastSeq()).isEqualTo(6);

      sql(gw, "UPDATE audit_log SET address = '10.0.0.1' WHERE seq = 6");
      assertThat(verifier.verify().problems()).anyMatch(p -> p.contains("entry 6 was changed"));
      // Without its signed checkpoint, a pruned start is a gap like any other.
      sql(gw, "DELETE FROM audit_checkpoints WHERE seq = " + through);
      assertThat(verifier.verify().problems()).anyMatch(p -> p.contains("entries 1-" + through + " are missing"));
    }
  }

  private static void sql(TestGateway gw, String statement) {
    gw.server().database().transaction(c -> {
      try (PreparedStatement ps = c.prepareStatement(statement)) {
        return ps.executeUpdate();
      }
    });
  }
}
