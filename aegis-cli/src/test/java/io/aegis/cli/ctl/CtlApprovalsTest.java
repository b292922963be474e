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
 * Two-person approval from the command line: {@code ctl send} and {@code ctl broadcast} on a
 * gateway that keeps some of them for approval say so and print the approval id; {@code ctl
 * approvals} lists, shows, approves and rejects them as a second operator.
 */
class CtlApprovalsTest {
  static TestGateway gw;
  /** The bootstrap token: it asks. */
  static Cli alice;
  /** A second operator with the approve scope. */
  static Cli bob;

  @BeforeAll
  static void start() {
    gw = TestGateway.start(StoreKind.SQLITE, Map.of("AEGIS_APPROVAL_CHANNELS", "critical",
        "AEGIS_APPROVAL_THRESHOLD", "2"));
    alice = new Cli().prefix("ctl", "--url", gw.baseUrl(), "--token", TestGateway.OPERATOR_TOKEN);
    var r = gw.operator().post("/api/v1/operator-tokens", Map.of("name", "bob", "scopes", List.of("read", "approve")));
    assertThat(r.status()).as(r.body()).isEqualTo(201);
    bob = new Cli().prefix("ctl", "--url", gw.baseUrl(), "--token", r.json().path("token").asText());
  }

  @AfterAll
  static void stop() {
    gw.close();
  }

  static AgentIdentity register(String prefix, Map<String, String> labels) {
    return AgentIdentity.create(prefix).register(gw.operator(), labels);
  }

  /** The value of a {@code key  value} line. */
  static String field(String out, String key) {
    Matcher m = Pattern.compile("(?m)^" + key + " +(.+)$").matcher(out);
    assertThat(m.find()).as(key + " in\n" + out).isTrue();
    return m.group(1);
  }

  static int messages(String agentId) {
    return gw.operator().get("/api/v1/agents/" + agentId + "/messages").json().path("messages").size();
  }

  @Test
  void aSendOnAListedChannelAwaitsApprovalAndASecondOperatorApprovesIt() {
    AgentIdentity a = register("wipe", Map.of());
    Cli.Result r = alice.run("send", a.id(), "--channel", "critical", "--json", "{\"wipe\": true}");
    assertThat(r.exit()).as(r.toString()).isZero();
    assertThat(r.out()).doesNotContain("message_id").containsPattern("status +awaiting_approval")
        .containsPattern("reason +.*AEGIS_APPROVAL_CHANNELS");
    String id = field(r.out(), "approval_id");
    assertThat(r.err()).contains("not sent: it awaits a second operator's approval")
        .contains("bin/aegis ctl approvals approve " + id);
    assertThat(messages(a.id())).isZero();

    r = bob.run("approvals", "list");
    assertThat(r.exit()).as(r.toString()).isZero();
    List<String> lines = r.out().lines().toList();
    assertThat(lines.get(0)).matches("APPROVAL ID +KIND +CHANNEL +TO +REQUESTED BY +STATUS +EXPIRES");
    assertThat(lines).anyMatch(l -> l.matches(id + " +send +critical +" + a.id() + " +AEGIS_ADMIN_TOKEN"
        + " +awaiting_approval +\\d{4}-.*Z"));

    r = bob.run("approvals", "show", id);
    assertThat(r.exit()).as(r.toString()).isZero();
    assertThat(r.out()).containsPattern("kind +send").containsPattern("agent_id +" + a.id())
        .containsPattern("requested_by +AEGIS_ADMIN_TOKEN \\(env:AEGIS_ADMIN_TOKEN\\)")
        .containsPattern("request +\\{.*\"wipe\":true").doesNotContain("decided_by");

    r = alice.run("approvals", "approve", id);
    assertThat(r.exit()).as("the token that asked cannot approve").isEqualTo(1);
    assertThat(r.err()).startsWith("aegis: self_approval: ");

    r = bob.run("approvals", "approve", id);
    assertThat(r.exit()).as(r.toString()).isZero();
    assertThat(r.out()).containsPattern("status +approved").containsPattern("delivery +queued");
    String messageId = field(r.out(), "message_id");
    assertThat(r.err()).contains("bin/aegis ctl messages show " + messageId);
    assertThat(alice.run("messages", "show", messageId).out()).containsPattern("agent_id +" + a.id())
        .containsPattern("message +\\{\"wipe\":true}");

    r = bob.run("approvals", "approve", id);
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).startsWith("aegis: not_awaiting_approval: ");
    assertThat(bob.run("approvals", "show", id).out()).containsPattern("decided_by +bob \\(")
        .containsPattern("result_status +202");
    assertThat(bob.run("approvals", "list").out()).doesNotContain(id);
    JsonNode approved = bob.run("approvals", "list", "--status", "approved", "--json").json();
    assertThat(approved).anyMatch(x -> x.path("approval_id").asText().equals(id)
        && x.path("result").path("message_id").asText().equals(messageId));
  }

  @Test
  void aLargeBroadcastAwaitsApprovalAndARejectedOneIsNeverSent() {
    String fleet = "fleet-" + System.nanoTime();
    List<AgentIdentity> agents = List.of(register("bc", Map.of("fleet", fleet)), register("bc", Map.of("fleet", fleet)),
        register("bc", Map.of("fleet", fleet)));
    String[] broadcast = {"broadcast", "--label", "fleet=" + fleet, "--channel", "commands", "--json", "{\"scan\": 1}",
        "--queue-offline"};
    Cli.Result r = alice.run(broadcast);
    assertThat(r.exit()).as(r.toString()).isZero();
    assertThat(r.out()).containsPattern("status +awaiting_approval").containsPattern("reason +.*3 agents");
    assertThat(r.err()).as("nothing to follow").doesNotContain("delivered");
    String rejected = field(r.out(), "approval_id");

    r = bob.run("approvals", "list");
    assertThat(r.out()).containsPattern(rejected + " +broadcast +commands +3 agents +AEGIS_ADMIN_TOKEN");
    r = bob.run("approvals", "reject", rejected);
    assertThat(r.exit()).as(r.toString()).isZero();
    assertThat(r.out()).isEqualTo("rejected " + rejected + ": the broadcast on commands to 3 agents will not be sent\n");
    assertThat(bob.run("approvals", "approve", rejected).err()).startsWith("aegis: not_awaiting_approval: ");
    assertThat(bob.run("approvals", "list", "--status", "rejected").out()).contains(rejected);
    agents.forEach(a -> assertThat(messages(a.id())).isZero());

    // In JSON, the gateway's answer as is; approved, the recipients it reached.
    r = alice.run(java.util.stream.Stream.concat(java.util.Arrays.stream(broadcast), java.util.stream.Stream.of("-o",
        "json")).toArray(String[]::new));
    assertThat(r.exit()).as(r.toString()).isZero();
    assertThat(r.json().path("status").asText()).isEqualTo("awaiting_approval");
    String id = r.json().path("approval_id").asText();
    r = bob.run("approvals", "approve", id);
    assertThat(r.exit()).as(r.toString()).isZero();
    assertThat(r.out()).containsPattern("recipients +3 \\(0 connected, 3 queued while offline, 0 refused\\)");
    agents.forEach(a -> assertThat(messages(a.id())).isEqualTo(1));
  }

  @Test
  void waitingOnARequestKeptForApprovalIsRefusedOrEndsWithExit1() {
    AgentIdentity a = register("waits", Map.of());
    Cli.Result r = alice.run("send", a.id(), "--channel", "critical", "--json", "{}", "--wait", "5s");
    assertThat(r.exit()).as(r.toString()).isEqualTo(1);
    assertThat(r.err()).startsWith("aegis: invalid_request: wait cannot be used on a send that needs approval");

    r = alice.run("send", a.id(), "--channel", "critical", "--json", "{}", "--type", "event", "--wait", "5s");
    assertThat(r.exit()).as(r.toString()).isEqualTo(1);
    String id = field(r.out(), "approval_id");
    assertThat(r.err()).contains("not acknowledged by " + a.id() + ": it awaits approval (approval " + id + ")");
  }

  @Test
  void usageErrors() {
    Cli.Result r = bob.run("approvals", "list", "--status", "maybe");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("--status must be one of awaiting_approval, approved, rejected, expired, all");
    r = bob.run("approvals", "approve");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("APPROVAL_ID");
    r = bob.run("approvals", "show", "00000000-0000-7000-8000-000000000000");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).startsWith("aegis: not_found: ");
  }
}
