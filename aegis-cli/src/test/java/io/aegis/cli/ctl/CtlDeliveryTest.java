package io.aegis.cli.ctl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.aegis.agent.AgentClient;
import io.aegis.cli.Cli;
import io.aegis.server.testing.AgentIdentity;
import io.aegis.server.testing.StoreKind;
import io.aegis.server.testing.TestGateway;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code bin/aegis ctl send | broadcast | messages | events | policies} and {@code agents list
 * --connected} against a real gateway with real agents (the Java SDK) connected to it.
 */
class CtlDeliveryTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration GENEROUS = Duration.ofSeconds(60);
  static TestGateway gw;
  static Cli ctl;
  private final List<AgentClient> clients = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void start() {
    gw = TestGateway.start(StoreKind.SQLITE);
    ctl = new Cli().prefix("ctl", "--url", gw.baseUrl(), "--token", TestGateway.OPERATOR_TOKEN);
  }

  @AfterAll
  static void stop() {
    gw.close();
  }

  @AfterEach
  void closeAgents() {
    clients.forEach(AgentClient::close);
  }

  /** Registers an agent with {@code labels}. */
  static AgentIdentity register(String prefix, Map<String, String> labels) {
    return AgentIdentity.create(prefix).register(gw.operator(), labels);
  }

  /** Connects {@code a}; it answers requests on "commands" with {"pong": <the request>}, unless silent. */
  AgentClient connect(AgentIdentity a, boolean answers) {
    AgentClient c = AgentClient.builder().backend(gw.baseUrl()).agentId(a.id()).identity(a.key())
        .backendKeys(gw.server().identity().publicKey().base64())
        .defaultHandler(m -> {
          if (answers && m.isRequest()) {
            m.reply(JSON.createObjectNode().set("pong", m.json()));
          }
        })
        .closeTimeout(Duration.ofSeconds(1))
        .build();
    clients.add(c);
    c.start();
    await().atMost(GENEROUS).until(() -> c.state() == AgentClient.State.CONNECTED);
    await().atMost(GENEROUS).until(() -> gw.operator().get("/api/v1/agents/" + a.id() + "/status").json()
        .path("connected").asBoolean());
    return c;
  }

  @Test
  void sendWaitsForTheResponseOrTheAcknowledgement() {
    AgentIdentity a = register("send", Map.of());
    connect(a, true);
    Cli.Result r = ctl.run("send", a.id(), "--channel", "commands", "--json", "{\"q\": \"uptime\"}", "--wait", "30s");
    assertThat(r.exit()).as(r.toString()).isZero();
    assertThat(r.out()).containsPattern("status +delivered").containsPattern("response +\\{\"pong\":\\{\"q\":\"uptime\"}}");

    r = ctl.run("send", a.id(), "--channel", "commands", "--json", "[1, 2]", "--type", "event", "--wait", "30s",
        "-o", "json");
    assertThat(r.exit()).as(r.toString()).isZero();
    assertThat(r.json().path("status").asText()).isEqualTo("delivered");
    assertThat(r.json().path("message").toString()).isEqualTo("[1,2]");

    r = ctl.run("send", a.id(), "--channel", "commands", "--json", "{}", "--type", "event", "-o", "json");
    assertThat(r.exit()).as(r.toString()).isZero();
    assertThat(r.json().path("status").asText()).isEqualTo("sent");
  }

  @Test
  void aRequestWithoutAnswerEndsTheWaitWithExit1() {
    AgentIdentity a = register("silent", Map.of());
    connect(a, false);
    Cli.Result r = ctl.run("send", a.id(), "--channel", "commands", "--json", "{}", "--wait", "1s");
    assertThat(r.exit()).as(r.toString()).isEqualTo(1);
    assertThat(r.err()).contains("no response from " + a.id() + " within 1s")
        .contains("bin/aegis ctl messages show ");
  }

  @Test
  void aSendToAnOfflineAgentIsQueuedAndCanBeFollowedAndCancelled() {
    AgentIdentity a = register("offline", Map.of());
    Cli.Result r = ctl.run("send", a.id(), "--channel", "commands", "--json", "{\"n\": 1}", "--idempotency-key",
        "k-" + a.id());
    assertThat(r.exit()).as(r.toString()).isZero();
    assertThat(r.out()).containsPattern("status +queued");
    String id = r.out().lines().filter(l -> l.startsWith("message_id")).findFirst().orElseThrow().split(" +")[1];

    r = ctl.run("messages", "show", id);
    assertThat(r.exit()).as(r.toString()).isZero();
    assertThat(r.out()).containsPattern("agent_id +" + a.id()).containsPattern("status +pending")
        .containsPattern("message +\\{\"n\":1}");
    r = ctl.run("messages", "list", "--agent", a.id(), "--json");
    assertThat(r.json().get(0).path("message_id").asText()).isEqualTo(id);

    r = ctl.run("messages", "cancel", id);
    assertThat(r.exit()).as(r.toString()).isZero();
    assertThat(r.out()).isEqualTo("cancelled " + id + " (1 undelivered copy)\n");
    r = ctl.run("messages", "cancel", id);
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).startsWith("aegis: not_cancellable: ");

    r = ctl.run("send", a.id(), "--channel", "commands", "--json", "{}", "--type", "event", "--wait", "1s");
    assertThat(r.exit()).as("nobody acknowledges it").isEqualTo(1);
    assertThat(r.err()).contains("not acknowledged by " + a.id() + " within 1s (status pending)");
  }

  @Test
  void sendRefusalsAndUsageErrors() {
    AgentIdentity a = register("refused", Map.of());
    Cli.Result r = ctl.run("send", a.id(), "--channel", "Bad Channel", "--json", "{}");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).startsWith("aegis: invalid_request: ");
    r = ctl.run("send", "no-such-agent-" + System.nanoTime(), "--channel", "commands", "--json", "{}");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).startsWith("aegis: not_found: ");
    r = ctl.run("send", a.id(), "--channel", "commands", "--json", "{oops");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("--json: not valid JSON");
    r = ctl.run("send", a.id(), "--json", "{}");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("--channel");
    r = ctl.run("broadcast", "--channel", "x", "--json", "{}", "--all", "--label", "a=b");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("at most one target");
  }

  @Test
  void aBroadcastIsFollowedUntilItsCountsSettle() {
    String fleet = "fleet-" + System.nanoTime();
    AgentIdentity one = register("bc", Map.of("fleet", fleet));
    AgentIdentity two = register("bc", Map.of("fleet", fleet));
    AgentIdentity away = register("bc", Map.of("fleet", fleet));
    connect(one, true);
    connect(two, true);

    Cli.Result r = ctl.run("broadcast", "--label", "fleet=" + fleet, "--channel", "news", "--type", "event",
        "--json", "{\"v\": 2}", "--queue-offline");
    assertThat(r.exit()).as(r.toString()).isZero();
    assertThat(r.err()).contains(" to 3 agents").contains("2/3 delivered, 0 failed, 1 in flight");
    assertThat(r.out()).containsPattern("recipients +3 \\(2 connected, 1 queued while offline, 0 refused\\)")
        .containsPattern("delivered +2").containsPattern("in_flight +1 \\(waiting for offline agents\\)");

    r = ctl.run("broadcast", "--label", "fleet=" + fleet, "--channel", "news", "--type", "event", "--json", "{}",
        "-o", "json");
    assertThat(r.exit()).as(r.toString()).isZero();
    JsonNode j = r.json();
    assertThat(j.path("settled").asBoolean()).isTrue();
    assertThat(j.path("recipients").path("delivered").asInt()).isEqualTo(2);
    assertThat(j.path("counts").path("failed").asInt()).isEqualTo(1);
    assertThat(j.path("failed").get(0).asText()).isEqualTo(away.id());

    r = ctl.run("broadcast", "--agent", one.id(), "--channel", "news", "--type", "event", "--json", "{}", "--no-follow");
    assertThat(r.exit()).as(r.toString()).isZero();
    assertThat(r.out()).containsPattern("recipients +1 \\(1 connected");
    assertThat(r.out()).doesNotContain("delivered");
  }

  @Test
  void listsConnectedAgentsOnly() {
    String site = "site-" + System.nanoTime();
    AgentIdentity on = register("conn", Map.of("site", site));
    AgentIdentity off = register("conn", Map.of("site", site));
    connect(on, true);
    Cli.Result r = ctl.run("agents", "list", "--label", "site=" + site, "--connected");
    assertThat(r.exit()).as(r.toString()).isZero();
    String[] lines = r.out().split("\n");
    assertThat(lines[0]).matches("AGENT ID +STATUS +NODE +CONNECTED SINCE +LAST SEEN +LABELS");
    assertThat(lines).hasSize(2);
    assertThat(lines[1]).startsWith(on.id()).contains("test-node");
    assertThat(r.out()).doesNotContain(off.id());
    JsonNode j = ctl.run("agents", "list", "--label", "site=" + site, "--connected", "--json").json();
    assertThat(j).hasSize(1);
    assertThat(j.get(0).path("connection").path("node_id").asText()).isEqualTo("test-node");
  }

  @Test
  void tailFollowsEventsAsAgentsReportThem() throws Exception {
    AgentIdentity a = register("ev", Map.of());
    var session = a.session(gw.baseUrl());
    String type = "login" + System.nanoTime() % 100000;
    session.post("/api/v1/agents/" + a.id() + "/events", Map.of("events", List.of(
        Map.of("type", type, "timestamp", java.time.Instant.now().toString(), "body", Map.of("user", "old")))));
    java.io.StringWriter live = new java.io.StringWriter();
    CompletableFuture<Cli.Result> tail = CompletableFuture.supplyAsync(() -> ctl.run(live, "events", "tail", "--agent",
        a.id(), "--last", "1", "--count", "3", "--interval", "200ms"));
    // The events below arrive once the tail has shown the latest one, so they are new to it.
    await().atMost(GENEROUS).until(() -> live.toString().contains("{\"user\":\"old\"}"));
    for (String user : List.of("alice", "bob")) {
      assertThat(session.post("/api/v1/agents/" + a.id() + "/events", Map.of("events", List.of(
          Map.of("type", type, "timestamp", java.time.Instant.now().toString(), "body", Map.of("user", user)))))
          .status()).isEqualTo(202);
    }
    Cli.Result r = tail.get(60, java.util.concurrent.TimeUnit.SECONDS);
    assertThat(r.exit()).as(r.toString()).isZero();
    List<String> lines = r.out().lines().toList();
    assertThat(lines).hasSize(3);
    assertThat(lines.get(0)).contains(a.id() + "  " + type + "  {\"user\":\"old\"}");
    assertThat(lines.get(1)).endsWith("{\"user\":\"alice\"}");
    assertThat(lines.get(2)).endsWith("{\"user\":\"bob\"}");

    r = ctl.run("events", "tail", "--agent", a.id(), "--last", "2", "--count", "2", "--json");
    assertThat(r.out().lines().map(l -> {
      try {
        return JSON.readTree(l).path("body").path("user").asText();
      } catch (Exception e) {
        throw new AssertionError(l, e);
      }
    }).toList()).containsExactly("alice", "bob");

    r = ctl.run("events", "list", "--agent", a.id(), "--type", type);
    assertThat(r.out().lines().toList()).hasSize(4).first().asString().matches("TIME +AGENT ID +TYPE +BODY");
  }

  @Test
  void publishesAssignsAndDeletesPolicies() {
    String name = "baseline-" + System.nanoTime();
    Cli.Result r = ctl.run("policies", "put", name, "--document", "{\"mode\": \"enforce\"}", "--description", "first");
    assertThat(r.exit()).as(r.toString()).isZero();
    assertThat(r.out()).isEqualTo("published " + name + " version 1\n");
    r = ctl.run("policies", "put", name, "--document", "{\"mode\": \"audit\"}");
    assertThat(r.out()).isEqualTo("published " + name + " version 2\n");

    assertThat(ctl.run("policies", "list").out()).containsPattern(name + " +2 ");
    r = ctl.run("policies", "show", name, "--version", "1", "--json");
    assertThat(r.json().path("document").path("mode").asText()).isEqualTo("enforce");
    r = ctl.run("policies", "show", name);
    assertThat(r.out()).containsPattern("version +2").contains("\"mode\" : \"audit\"");
    assertThat(ctl.run("policies", "versions", name).out().lines().count()).isEqualTo(3);

    r = ctl.run("policies", "assign", name, "--label", "env=prod", "--json");
    assertThat(r.exit()).as(r.toString()).isZero();
    String assignment = r.json().path("id").asText();
    r = ctl.run("policies", "assign", name, "--label", "env=prod");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).startsWith("aegis: already_assigned: ");
    assertThat(ctl.run("policies", "assignments", name).out()).containsPattern(assignment + " +label env=prod");
    r = ctl.run("policies", "unassign", name, assignment);
    assertThat(r.exit()).as(r.toString()).isZero();
    assertThat(ctl.run("policies", "assignments", name, "--json").json()).isEmpty();

    assertThat(ctl.run("policies", "assign", name).exit()).isEqualTo(2);
    assertThat(ctl.run("policies", "delete", name).out()).isEqualTo("deleted policy " + name + "\n");
    r = ctl.run("policies", "show", name);
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).startsWith("aegis: not_found: ");
  }

}
