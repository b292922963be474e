package io.aegis.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.server.auth.OperatorTokens;
import io.aegis.server.config.Config;
import io.aegis.server.store.Database;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** bin/aegis admin works on the store the environment names, without a running gateway. */
class AdminCommandTest {
  @TempDir
  Path dataDir;

  @Test
  void aTokenCreatedOfflineIsListedAcceptedAndCanBeRevoked() {
    Map<String, String> env = Map.of("AEGIS_DATA_DIR", dataDir.toString());
    Database.open(Config.fromEnvironment(env)).close(); // the store 'serve' made at its first start
    AtomicReference<String> token = new AtomicReference<>();
    assertThat(AdminCommand.withTokens(env, t -> {
      token.set(t.create("ci-bot"));
      return 0;
    })).isZero();
    assertThat(token.get()).startsWith("aegis_op_");

    AtomicReference<List<OperatorTokens.Listed>> listed = new AtomicReference<>();
    AdminCommand.withTokens(env, t -> {
      listed.set(t.list());
      assertThat(t.lookup(token.get())).isPresent();
      return 0;
    });
    assertThat(listed.get()).singleElement().satisfies(l -> {
      assertThat(l.name()).isEqualTo("ci-bot");
      assertThat(l.revoked()).isFalse();
    });

    String id = listed.get().get(0).id();
    AdminCommand.withTokens(env, t -> {
      assertThat(t.revoke(id)).isTrue();
      assertThat(t.lookup(token.get())).isEmpty();
      assertThat(t.revoke("no-such-id")).isFalse();
      return 0;
    });
  }

  @Test
  void saysWhichStoreItOpenedAndNeverCreatesOne() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Path elsewhere = dataDir.resolve("not-where-serve-ran");
    int exit = AdminCommand.withTokens(Map.of("AEGIS_DATA_DIR", elsewhere.toString()),
        new java.io.PrintWriter(err, true, StandardCharsets.UTF_8), t -> 0);
    assertThat(exit).isEqualTo(1);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("no gateway store at " + elsewhere.resolve("aegis.db"))
        .contains("AEGIS_DATA_DIR");
    assertThat(elsewhere).doesNotExist();

    Map<String, String> env = Map.of("AEGIS_DATA_DIR", dataDir.toString());
    Database.open(Config.fromEnvironment(env)).close();
    err.reset();
    assertThat(AdminCommand.withTokens(env, new java.io.PrintWriter(err, true, StandardCharsets.UTF_8), t -> 0)).isZero();
    assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo("aegis: store SQLite jdbc:sqlite:"
        + dataDir.resolve("aegis.db") + "\n");
  }

  @Test
  void aBadConfigurationIsExitCode2() {
    assertThat(AdminCommand.withTokens(Map.of("WEBSOCKET_PORT", "x", "AEGIS_DATA_DIR", dataDir.toString()),
        t -> 0)).isEqualTo(2);
  }
  @Test
  void createTokenTakesScopesALabelAndAnExpiry() {
    Map<String, String> env = Map.of("AEGIS_DATA_DIR", dataDir.toString());
    Database.open(Config.fromEnvironment(env)).close();
    Cli cli = new Cli().env(env);
    Cli.Result made = cli.run("admin", "create-token", "--name", "payments team", "--scope", "read,send",
        "--agents-label", "team=payments", "--expires-in", "30d");
    assertThat(made.exit()).as(made.toString()).isZero();
    String token = made.out().strip();
    AdminCommand.withTokens(env, t -> {
      var op = t.lookup(token).orElseThrow();
      assertThat(op.scopes()).containsExactlyInAnyOrder(io.aegis.server.api.Scope.READ, io.aegis.server.api.Scope.SEND);
      assertThat(op.agents().orElseThrow()).hasToString("team=payments");
      return 0;
    });
    Cli.Result listed = cli.run("admin", "list-tokens");
    assertThat(listed.out()).contains("active").contains("read,send").contains("team=payments").contains("expires ")
        .contains("payments team");

    Cli.Result bad = cli.run("admin", "create-token", "--name", "x", "--scope", "root");
    assertThat(bad.exit()).isEqualTo(2);
    assertThat(bad.err()).contains("unknown scope 'root'");
  }

  @Test
  void auditVerifySaysWhetherTheLogIsIntact() {
    try (var gw = io.aegis.server.testing.TestGateway.start(io.aegis.server.testing.StoreKind.SQLITE,
        Map.of("AEGIS_AUDIT_SIGN_INTERVAL", "1s"))) {
      gw.operator().post("/api/v1/enrollment-tokens", Map.of());
      gw.operator().post("/api/v1/enrollment-tokens", Map.of());
      org.awaitility.Awaitility.await().atMost(io.aegis.server.testing.Waits.EVENT).until(() -> gw.operator()
          .get("/api/v1/audit/checkpoints").json().path("checkpoints").path(0).path("seq").asLong() == 2);
      Cli cli = new Cli().env(gw.env());
      Cli.Result ok = cli.run("admin", "audit", "verify");
      assertThat(ok.exit()).as(ok.toString()).isZero();
      assertThat(ok.out()).isEqualTo("audit log intact: 2 entries; 1 signed checkpoints, the last at entry 2\n");

      gw.server().database().transaction(c -> c.createStatement().executeUpdate(
          "UPDATE audit_log SET status = 200 WHERE seq = 1"));
      Cli.Result tampered = cli.run("admin", "audit", "verify");
      assertThat(tampered.exit()).isEqualTo(1);
      assertThat(tampered.out()).contains("NOT intact").contains("entry 1 was changed");
      gw.server().database().transaction(c -> c.createStatement().executeUpdate(
          "UPDATE audit_log SET status = 201 WHERE seq = 1"));

      // Pruned at the checkpoint: what is kept still verifies.
      gw.operator().post("/api/v1/enrollment-tokens", Map.of());
      Cli.Result pruned = cli.run("admin", "audit", "prune", "--older-than", "0s");
      assertThat(pruned.out()).isEqualTo("pruned 2 entries, through entry 2 (a signed checkpoint)\n");
      Cli.Result after = cli.run("admin", "audit", "verify");
      assertThat(after.exit()).as(after.toString()).isZero();
      assertThat(after.out()).startsWith("audit log intact: 1 entries (pruned through entry 2, a signed checkpoint)");
      assertThat(cli.run("admin", "audit", "prune", "--older-than", "soon").exit()).isEqualTo(2);
    }
  }
}
