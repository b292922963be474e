package io.aegis.cli.ctl;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.aegis.cli.Cli;
import io.aegis.protocol.IdentityKeyPair;
import io.aegis.protocol.KeyFiles;
import io.aegis.server.testing.StoreKind;
import io.aegis.server.testing.TestGateway;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bin/aegis ctl agents …} against a real gateway: tables, JSON, refusals and usage errors. */
class CtlAgentsTest {
  private static final AtomicInteger SEQ = new AtomicInteger();
  static TestGateway gw;
  static Cli ctl;

  @TempDir
  Path dir;

  @BeforeAll
  static void start() {
    gw = TestGateway.start(StoreKind.SQLITE);
    ctl = new Cli().prefix("ctl", "--url", gw.baseUrl(), "--token", TestGateway.OPERATOR_TOKEN);
  }

  @AfterAll
  static void stop() {
    gw.close();
  }

  static String unique(String name) {
    return name + "-" + SEQ.incrementAndGet() + "-" + System.nanoTime() % 100000;
  }

  /** A key pair written as keygen writes it; returns the private key file (the public one is FILE.pub). */
  Path keyFile(String name) throws Exception {
    IdentityKeyPair key = IdentityKeyPair.generate(new SecureRandom());
    Path file = dir.resolve(name + ".key");
    KeyFiles.writePrivateKey(file, key, false);
    KeyFiles.writePublicKey(dir.resolve(name + ".key.pub"), key.publicKey(), false);
    return file;
  }

  @Test
  void registersListsAndShowsAgentsAsTablesAndJson() throws Exception {
    String env = unique("env");
    String a = unique("web");
    String b = unique("web");
    Path key = keyFile("a");
    Cli.Result r = ctl.run("agents", "register", a, "--key", key + ".pub", "--label", "env=" + env,
        "--metadata", "{\"os\": \"linux\"}");
    assertThat(r.exit()).as(r.toString()).isZero();
    assertThat(r.out()).startsWith("registered " + a + " (key id ");
    // The private key file works too: only its public half is sent.
    r = ctl.run("agents", "register", b, "--key", keyFile("b").toString(), "--label", "env=" + env, "--json");
    assertThat(r.exit()).as(r.toString()).isZero();
    assertThat(r.json().path("agent_id").asText()).isEqualTo(b);
    assertThat(r.json().path("status").asText()).isEqualTo("active");

    r = ctl.run("agents", "list", "--label", "env=" + env);
    assertThat(r.exit()).as(r.toString()).isZero();
    String[] lines = r.out().split("\n");
    assertThat(lines[0]).matches("AGENT ID +STATUS +LABELS +CREATED");
    assertThat(lines).hasSize(3);
    assertThat(lines[1]).startsWith(a).contains("active").contains("env=" + env);
    assertThat(lines[2]).startsWith(b);

    r = ctl.run("agents", "list", "--label", "env=" + env, "--json");
    assertThat(r.json()).hasSize(2);
    assertThat(r.json().get(0).path("metadata").path("os").asText()).isEqualTo("linux");

    r = ctl.run("agents", "list", "--label", "env=" + env, "--limit", "1");
    assertThat(r.out().split("\n")).hasSize(2);
    assertThat(r.err()).contains("more agents than --limit 1");

    r = ctl.run("agents", "show", a);
    assertThat(r.exit()).as(r.toString()).isZero();
    assertThat(r.out()).containsPattern("agent_id +" + a).containsPattern("status +active")
        .containsPattern("labels +env=" + env).containsPattern("connected +no")
        .containsPattern("metadata +\\{\"os\":\"linux\"}");
    JsonNode shown = ctl.run("agents", "show", a, "-o", "json").json();
    assertThat(shown.path("public_key").asText()).isEqualTo(KeyFiles.publicKeyArgument(key + ".pub").base64());
    assertThat(shown.path("connection").path("connected").asBoolean()).isFalse();
  }

  @Test
  void deactivatesReactivatesAndDeletesOneAgent() throws Exception {
    String a = unique("db");
    assertThat(ctl.run("agents", "register", a, "--key", keyFile("k").toString()).exit()).isZero();
    Cli.Result r = ctl.run("agents", "deactivate", a);
    assertThat(r.exit()).as(r.toString()).isZero();
    assertThat(r.out()).isEqualTo("deactivated " + a + " (status inactive)\n");
    assertThat(ctl.run("agents", "list", "--status", "inactive", "--json").json().findValuesAsText("agent_id"))
        .contains(a);
    r = ctl.run("agents", "reactivate", a, "--json");
    assertThat(r.json().path("status").asText()).isEqualTo("active");
    r = ctl.run("agents", "delete", a);
    assertThat(r.exit()).as(r.toString()).isZero();
    assertThat(r.out()).isEqualTo("deleted " + a + "\n");
    assertThat(gw.operator().get("/api/v1/agents/" + a).status()).isEqualTo(404);
  }

  @Test
  void refusalsExitWith1AndPrintTheGatewaysErrorCode() throws Exception {
    String a = unique("dup");
    Path key = keyFile("dup");
    assertThat(ctl.run("agents", "register", a, "--key", key.toString()).exit()).isZero();

    Cli.Result r = ctl.run("agents", "register", a, "--key", key.toString());
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).startsWith("aegis: already_exists: ").contains("(HTTP 409)");
    assertThat(r.out()).isEmpty();

    r = ctl.run("agents", "show", unique("nobody"));
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).startsWith("aegis: not_found: ");

    r = ctl.run("agents", "list", "--label", "bad label=x");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).startsWith("aegis: invalid_request: ");

    r = new Cli().run("ctl", "--url", gw.baseUrl(), "--token", "not-the-token", "agents", "list");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).startsWith("aegis: unauthorized: ");
  }

  @Test
  void usageErrorsExitWith2() throws Exception {
    Cli.Result r = ctl.run("agents", "list", "--bogus");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("Unknown option: '--bogus'").contains("bin/aegis ctl agents list --help");

    r = ctl.run("agents", "list", "--status", "gone");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("--status must be active or inactive");

    r = ctl.run("agents", "list", "--label", "novalue");
    assertThat(r.exit()).isEqualTo(2);

    r = ctl.run("agents", "register", unique("x"), "--key", dir.resolve("missing.pem").toString());
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("--key");

    r = ctl.run("agents", "register", unique("x"), "--key", keyFile("m").toString(), "--metadata", "{not json");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("--metadata: not valid JSON");

    r = ctl.run("agents", "delete", "one", "--label", "a=b");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("either an agent ID or --label");

    r = ctl.run("agents", "show");
    assertThat(r.exit()).isEqualTo(2);
  }

  @Test
  void bulkDeletionAsksFirstAndDeletesOnlyWhatMatches() throws Exception {
    String team = unique("team");
    String keep = unique("keep");
    for (int i = 0; i < 3; i++) {
      assertThat(ctl.run("agents", "register", team + "-" + i, "--key", keyFile("t" + i).toString(),
          "--label", "team=" + team).exit()).isZero();
    }
    assertThat(ctl.run("agents", "register", keep, "--key", keyFile("keep").toString(), "--label", "team=other").exit())
        .isZero();

    Cli.Result r = new Cli().stdin("n\n").prefix("ctl", "--url", gw.baseUrl(), "--token", TestGateway.OPERATOR_TOKEN)
        .run("agents", "delete", "--label", "team=" + team);
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("Delete 3 agents labelled team=" + team + " (" + team + "-0, " + team + "-1, "
        + team + "-2)? [y/N]").contains("nothing deleted");
    assertThat(ctl.run("agents", "list", "--label", "team=" + team, "--json").json()).hasSize(3);

    r = new Cli().stdin("").prefix("ctl", "--url", gw.baseUrl(), "--token", TestGateway.OPERATOR_TOKEN)
        .run("agents", "delete", "--label", "team=" + team);
    assertThat(r.exit()).as("no answer is no").isEqualTo(2);

    r = new Cli().stdin("y\n").prefix("ctl", "--url", gw.baseUrl(), "--token", TestGateway.OPERATOR_TOKEN)
        .run("agents", "delete", "--label", "team=" + team);
    assertThat(r.exit()).as(r.toString()).isZero();
    assertThat(r.out()).isEqualTo("deleted 3 of 3 agents\n");
    assertThat(ctl.run("agents", "list", "--label", "team=" + team, "--json").json()).isEmpty();
    assertThat(gw.operator().get("/api/v1/agents/" + keep).status()).isEqualTo(200);

    assertThat(ctl.run("agents", "register", team + "-9", "--key", keyFile("t9").toString(),
        "--label", "team=" + team).exit()).isZero();
    r = ctl.run("agents", "delete", "--label", "team=" + team, "--yes", "--json");
    assertThat(r.exit()).as(r.toString()).isZero();
    assertThat(r.json().path("deleted").get(0).asText()).isEqualTo(team + "-9");
    r = ctl.run("agents", "delete", "--label", "team=" + team, "--yes");
    assertThat(r.exit()).isZero();
    assertThat(r.out()).isEqualTo("no agent matches team=" + team + "\n");
  }
}
