package io.aegis.server.console;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.protocol.record.OpenedRecord;
import io.aegis.server.testing.AgentConnection;
import io.aegis.server.testing.AgentSocket;
import io.aegis.server.testing.Browser;
import io.aegis.server.testing.StoreKind;
import io.aegis.server.testing.TestAgent;
import io.aegis.server.testing.TestGateway;
import io.aegis.server.testing.Transport;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;

/**
 * Takes the screenshots of docs/console.md: a gateway with a small fleet (agents on both
 * transports, one offline, one deactivated, policies, events, a message and a broadcast, two
 * requests awaiting approval), and the console's main pages in a 1440×900 window. Not part of the
 * suite; run it after changing the console:
 *
 * <pre>{@code
 * mvn -B -q -pl aegis-server -am test -Dtest=ConsoleScreenshots -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Daegis.console.screenshots=$PWD/docs/console
 * }</pre>
 */
@EnabledIfSystemProperty(named = "aegis.console.screenshots", matches = ".+")
class ConsoleScreenshots {
  private final List<AutoCloseable> open = new ArrayList<>();

  @Test
  void takeScreenshots() throws Exception {
    Path out = Path.of(System.getProperty("aegis.console.screenshots"));
    try (TestGateway gw = TestGateway.start(StoreKind.SQLITE, Map.of("AEGIS_NODE_ID", "gw-eu-1",
            "AEGIS_APPROVAL_CHANNELS", "wipe"));
         Browser browser = Browser.open(1440, 1050)) {
      stageFleet(gw);
      String base = gw.baseUrl() + "/console/";

      browser.get(base);
      browser.find("#token").sendKeys("aegis_op_");
      browser.screenshot(out.resolve("signin.png"));
      WebElement token = browser.find("#token");
      token.clear();
      token.sendKeys(TestGateway.OPERATOR_TOKEN, Keys.ENTER);
      browser.present("tr[data-agent-id='web-01'][data-state='connected']");
      browser.present("tr[data-agent-id='kiosk-07'][data-state='connected']");
      browser.screenshot(out.resolve("fleet.png"));

      go(browser, "#/agents/web-01");
      browser.present("#agent-messages tr[data-status='delivered']");
      browser.present("#agent-events tr");
      browser.screenshot(out.resolve("agent.png"));

      go(browser, "#/send?agent=web-02");
      WebElement message = browser.find("#send-message");
      message.clear();
      message.sendKeys("{\"action\": \"scan\", \"path\": \"/var/tmp\", \"rules\": \"yara-2026.11\"}");
      browser.find("form[aria-label='Send to one agent'] button[type='submit']").click();
      browser.present(".progress[data-status='delivered']");
      browser.screenshot(out.resolve("send.png"));

      go(browser, "#/broadcast");
      browser.find("input[name='broadcast-target'][value='labels']").click();
      browser.find("#broadcast-labels").sendKeys("env=prod");
      browser.awaitText("#broadcast-preview", "connected now");
      browser.find("#broadcast-channel").clear();
      browser.find("#broadcast-channel").sendKeys("rules/update");
      WebElement body = browser.find("#broadcast-message");
      body.clear();
      body.sendKeys("{\"bundle\": \"yara-2026.11\", \"sha256\": \"9f2c…\"}");
      browser.find("form[aria-label='Broadcast'] button[type='submit']").click();
      browser.await("every connected recipient delivered", d -> {
        var n = d.findElements(By.cssSelector(".big-number[data-delivered]"));
        return !n.isEmpty() && Integer.parseInt(n.get(0).getAttribute("data-delivered")) >= 8;
      });
      browser.screenshot(out.resolve("broadcast.png"));

      go(browser, "#/policies/baseline");
      browser.awaitText("#policy-assignments", "env=prod");
      browser.screenshot(out.resolve("policy.png"));

      go(browser, "#/approvals");
      browser.await("two requests awaiting approval",
          d -> d.findElements(By.cssSelector("tr[data-status='awaiting_approval']")).size() == 2);
      browser.screenshot(out.resolve("approvals.png"));

      go(browser, "#/health");
      browser.awaitText("#health-ready", "ready");
      // Two readings, so that the rates show.
      String first = browser.await("a first reading", d -> {
        String at = d.findElement(By.cssSelector(".live")).getAttribute("data-updated");
        return at == null || at.isEmpty() ? null : at;
      });
      browser.await("a second reading", d -> !first.equals(d.findElement(By.cssSelector(".live")).getAttribute("data-updated")));
      browser.screenshot(out.resolve("health.png"));
      assertThat(browser.consoleErrors()).isEmpty();
    } finally {
      for (AutoCloseable c : open) {
        c.close();
      }
    }
  }

  private static void go(Browser browser, String fragment) {
    browser.script("window.location.hash = arguments[0]", fragment);
  }

  /** A small fleet with some history: the state the screenshots show. */
  private void stageFleet(TestGateway gw) throws Exception {
    var op = gw.operator();
    op.put("/api/v1/policies/baseline", Map.of("document", Map.of("mode", "enforce", "block_ports", List.of(23, 445),
        "telemetry", Map.of("interval", "60s")), "description", "Production baseline"));
    op.put("/api/v1/policies/baseline", Map.of("document", Map.of("mode", "enforce", "block_ports", List.of(23, 445, 3389),
        "telemetry", Map.of("interval", "30s")), "description", "Block RDP too"));
    op.post("/api/v1/policies/baseline/assignments", Map.of("label", "env=prod"));
    op.post("/api/v1/policies/baseline/assignments", Map.of("agent_id", "edr-lab-01"));
    op.put("/api/v1/policies/web-hardening", Map.of("document", Map.of("waf", true), "description", "WAF on"));
    op.post("/api/v1/policies/web-hardening/assignments", Map.of("label", "role=web"));

    List<TestAgent> websocket = new ArrayList<>();
    for (int i = 1; i <= 6; i++) {
      websocket.add(TestAgent.register(gw, "web-0" + i, Map.of("env", "prod", "role", "web", "site", i <= 3 ? "paris" : "frankfurt")));
    }
    websocket.add(TestAgent.register(gw, "db-01", Map.of("env", "prod", "role", "db", "site", "paris")));
    websocket.add(TestAgent.register(gw, "db-02", Map.of("env", "prod", "role", "db", "site", "frankfurt")));
    websocket.add(TestAgent.register(gw, "edr-lab-01", Map.of("env", "staging", "role", "edr")));
    TestAgent offline = TestAgent.register(gw, "db-03", Map.of("env", "prod", "role", "db", "site", "paris"));
    TestAgent poller = TestAgent.register(gw, "kiosk-07", Map.of("env", "retail", "role", "kiosk"));
    TestAgent.register(gw, "scanner-01", Map.of("env", "staging", "role", "scanner"));
    TestAgent retired = TestAgent.register(gw, "legacy-01", Map.of("env", "prod", "role", "web"));

    // Seen once, then gone.
    offline.connect().close();
    retired.connect().close();
    op.post("/api/v1/agents/legacy-01/deactivate", Map.of());
    try (AgentSocket unknown = AgentSocket.connect(gw.baseUrl(), "/ws/agent",
        Map.of("X-Agent-ID", "ghost-9", "X-Agent-Public-Key", "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
            "User-Agent", "Aegis-Agent/1.0"))) {
      unknown.awaitClose();
    } catch (AgentSocket.Refused expected) {
      // counted as a refused upgrade
    }

    for (TestAgent agent : websocket) {
      TestAgent.Session session = agent.connect();
      open.add(session);
      if (agent.agentId().equals("web-01")) {
        String now = Instant.now().toString();
        var events = List.of(
            Map.of("type", "process.blocked", "timestamp", now, "body", Map.of("pid", 4242, "image", "/tmp/x.sh", "rule", "no-tmp-exec")),
            Map.of("type", "artifact.installed", "timestamp", now, "body", Map.of("name", "yara-rules", "version", "2026.11")),
            Map.of("type", "login", "timestamp", now, "body", Map.of("user", "alice", "source", "10.2.0.7")));
        var r = agent.api(session.sessionToken()).post("/api/v1/agents/web-01/events", Map.of("events", events));
        assertThat(r.status()).as(r.toString()).isEqualTo(202);
      }
      acknowledgeEverything(session::nextNonAck, session::ack, agent.agentId());
    }
    AgentConnection polling = Transport.HTTP_POLLING.connect(poller);
    open.add(polling);
    acknowledgeEverything(polling::nextNonAck, polling::ack, poller.agentId());

    for (String action : List.of("collect-inventory", "rotate-logs")) {
      var r = op.post("/api/v1/agents/web-01/send", Map.of("channel", "commands", "message", Map.of("action", action)));
      assertThat(r.status()).as(r.toString()).isEqualTo(202);
    }
    op.post("/api/v1/agents/db-03/send", Map.of("channel", "commands", "message", Map.of("action", "vacuum")));

    // Requests on "wipe" wait for a second operator; another token asks, so the console's may approve.
    var created = op.post("/api/v1/operator-tokens", Map.of("name", "alice (on-call)", "scopes", List.of("send", "broadcast")));
    var alice = gw.withToken(created.json().path("token").asText());
    alice.post("/api/v1/agents/web-03/send", Map.of("channel", "wipe", "message", Map.of("action", "wipe", "path", "/var/cache/app")));
    alice.post("/api/v1/agents/broadcast", Map.of("channel", "wipe", "message", Map.of("action", "wipe", "path", "/tmp"),
        "target", Map.of("labels", Map.of("role", "db"))));
  }

  /** Acknowledges whatever the agent receives, in the background, as a real agent does. */
  private void acknowledgeEverything(java.util.function.Supplier<OpenedRecord> next,
                                     java.util.function.Consumer<String[]> ack, String agentId) {
    Thread t = Thread.ofVirtual().name("ack-" + agentId).start(() -> {
      while (!Thread.currentThread().isInterrupted()) {
        try {
          OpenedRecord r = next.get();
          ack.accept(new String[] {r.id()});
        } catch (AssertionError | RuntimeException quiet) {
          // nothing within 5 s, or the session ended: look again unless interrupted
          if (quiet instanceof RuntimeException) {
            return;
          }
        }
      }
    });
    open.add(t::interrupt);
  }
}
