package io.aegis.cli.ctl;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.aegis.cli.Cli;
import io.aegis.server.testing.AgentIdentity;
import io.aegis.server.testing.StoreKind;
import io.aegis.server.testing.TestGateway;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code bin/aegis ctl tokens …} and {@code ctl audit} against a real gateway: a token made from the
 * command line works, with its scopes and no more, until it is revoked, and what it did (and was
 * refused) is in the audit log.
 */
class CtlOperatorsTest {
  static TestGateway gw;
  static Cli admin;

  @BeforeAll
  static void start() {
    gw = TestGateway.start(StoreKind.SQLITE);
    admin = new Cli().prefix("ctl", "--url", gw.baseUrl(), "--token", TestGateway.OPERATOR_TOKEN);
  }

  @AfterAll
  static void stop() {
    gw.close();
  }

  static Cli as(String token) {
    return new Cli().prefix("ctl", "--url", gw.baseUrl(), "--token", token);
  }

  /** The value of a {@code key  value} line. */
  static String field(String out, String key) {
    Matcher m = Pattern.compile("(?m)^" + key + " +(.+)$").matcher(out);
    assertThat(m.find()).as(key + " in\n" + out).isTrue();
    return m.group(1);
  }

  @Test
  void aTokenMadeFromTheCommandLineWorksWithItsScopesUntilRevoked() {
    String name = "on-call " + System.nanoTime();
    Cli.Result r = admin.run("tokens", "create", "--name", name, "--scope", "read,send", "--agents-label",
        "team=payments", "--expires-in", "30d");
    assertThat(r.exit()).as(r.toString()).isZero();
    String id = field(r.out(), "token_id");
    String secret = field(r.out(), "token");
    assertThat(secret).startsWith("aegis_op_");
    assertThat(r.out()).containsPattern("scopes +read,send").containsPattern("agents +team=payments")
        .containsPattern("expires_at +\\d{4}-");
    assertThat(r.err()).contains("the token is shown this once").contains("bin/aegis ctl tokens revoke " + id);

    r = admin.run("tokens", "list");
    assertThat(r.exit()).as(r.toString()).isZero();
    assertThat(r.out().lines().findFirst().orElseThrow())
        .matches("TOKEN ID +NAME +SCOPES +AGENTS +STATE +EXPIRES +CREATED");
    assertThat(r.out()).containsPattern(id + " +" + name + " +read,send +team=payments +active +\\d{4}-")
        .doesNotContain(secret);

    // It reads only the agents with its label, and may not create tokens.
    AgentIdentity mine = AgentIdentity.create("pay").register(gw.operator(), Map.of("team", "payments"));
    AgentIdentity other = AgentIdentity.create("ops").register(gw.operator(), Map.of("team", "ops"));
    Cli oncall = as(secret);
    r = oncall.run("agents", "list");
    assertThat(r.exit()).as(r.toString()).isZero();
    assertThat(r.out()).contains(mine.id()).doesNotContain(other.id());
    r = oncall.run("tokens", "create", "--name", "escalated", "--scope", "admin");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).startsWith("aegis: insufficient_scope: ");

    r = admin.run("tokens", "revoke", id);
    assertThat(r.exit()).as(r.toString()).isZero();
    assertThat(r.out()).isEqualTo("revoked " + id + "\n");
    r = oncall.run("agents", "list");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).startsWith("aegis: unauthorized: ");
    assertThat(admin.run("tokens", "list").out()).containsPattern(id + " +" + name + " .* revoked ");
    JsonNode listed = admin.run("tokens", "list", "--json").json();
    assertThat(listed).anyMatch(t -> t.path("token_id").asText().equals(id) && t.path("revoked").asBoolean()
        && !t.has("token"));

    r = admin.run("tokens", "revoke", "00000000-0000-4000-8000-000000000000");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).startsWith("aegis: not_found: ");
  }

  @Test
  void badTokenRequestsAreRefusedWithAClearError() {
    Cli.Result r = admin.run("tokens", "create", "--name", "x", "--scope", "read,root");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).startsWith("aegis: unknown_scope: ");
    r = admin.run("tokens", "create", "--name", "x", "--scope", "read", "--expires-in", "soon");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("'soon' is not a duration");
    r = admin.run("tokens", "create", "--name", "x", "--scope", "read", "--agents-label", "payments");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("--agents-label must be NAME=VALUE");
    r = admin.run("tokens", "create", "--name", "x");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("--scope");
    r = admin.run("tokens", "revoke", "aegis_op_0123");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("not its secret");
  }

  @Test
  void theAuditLogShowsWhatATokenDidAndWasRefused() {
    Cli.Result r = admin.run("tokens", "create", "--name", "auditor-subject", "--scope", "send", "--json");
    String id = r.json().path("token_id").asText();
    Cli sender = as(r.json().path("token").asText());
    AgentIdentity a = AgentIdentity.create("aud").register(gw.operator(), Map.of());
    r = sender.run("send", a.id(), "--channel", "commands", "--json", "{}", "-o", "json");
    assertThat(r.exit()).as(r.toString()).isZero();
    String messageId = r.json().path("message_id").asText();
    assertThat(sender.run("policies", "delete", "nothing").exit()).as("no policies:write scope").isEqualTo(1);

    r = admin.run("audit", "--token-id", id);
    assertThat(r.exit()).as(r.toString()).isZero();
    List<String> lines = r.out().lines().toList();
    assertThat(lines.get(0)).matches("SEQ +AT +TOKEN +ACTION +RESOURCE +STATUS");
    assertThat(lines).hasSize(3);
    // Newest first: the refusal, then the send.
    assertThat(lines.get(1)).matches("\\d+ +\\d{4}-\\S+Z +auditor-subject +DELETE /api/v1/policies/\\{name} "
        + "+/api/v1/policies/nothing +403 insufficient_scope");
    assertThat(lines.get(2)).matches("\\d+ +\\S+ +auditor-subject +POST /api/v1/agents/\\{agent_id}/send "
        + "+/api/v1/agents/" + Pattern.quote(a.id()) + "/send +202");

    JsonNode entries = admin.run("audit", "--message-id", messageId, "--json").json();
    assertThat(entries).singleElement().satisfies(e -> {
      assertThat(e.path("token_id").asText()).isEqualTo(id);
      assertThat(e.path("message_ids").get(0).asText()).isEqualTo(messageId);
    });
    r = admin.run("audit", "--action", "POST /api/v1/operator-tokens", "--limit", "1");
    assertThat(r.out().lines().toList()).hasSize(2).last().asString().contains("AEGIS_ADMIN_TOKEN", "201");
    assertThat(r.err()).contains("(more entries than --limit 1)");

    r = sender.run("audit");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).startsWith("aegis: insufficient_scope: ");
    r = admin.run("audit", "--since", "yesterday");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("--since must be an RFC 3339 time");
    assertThat(admin.run("audit", "--token-id", id, "--since", "2999-01-01T00:00:00Z").err())
        .contains("no entry matches");
  }
}
