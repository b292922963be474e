package io.aegis.server.console;

import static io.aegis.server.testing.Gateways.unique;
import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.protocol.record.OpenedRecord;
import io.aegis.server.testing.Browser;
import io.aegis.server.testing.StoreKind;
import io.aegis.server.testing.TestAgent;
import io.aegis.server.testing.TestGateway;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.Select;

/**
 * The console in a real headless Chromium against a real gateway, doing what an operator does:
 * sign in, watch an agent connect, send to it and see the message delivered, broadcast,
 * deactivate an agent and see it drop, and approve another operator's request. Every page runs
 * under the Content-Security-Policy without a single error in the browser's console. (The REST views it uses are tested on both stores by
 * {@link FleetApiTest}; the browser runs against SQLite.)
 */
class ConsoleBrowserTest {
  static TestGateway gw;
  static Browser browser;

  @BeforeAll
  static void start() {
    browser = Browser.open(1440, 900);
    // Sends on "critical" wait for a second operator (the other tests send on other channels).
    gw = TestGateway.start(StoreKind.SQLITE, Map.of("AEGIS_APPROVAL_CHANNELS", "critical"));
  }

  @AfterAll
  static void stop() {
    if (browser != null) {
      browser.close();
    }
    if (gw != null) {
      gw.close();
    }
  }

  @BeforeEach
  void signedIn() {
    browser.get(gw.baseUrl() + "/console/#/fleet");
    browser.await("the sign-in form or the fleet", d -> !d.findElements(By.id("token")).isEmpty()
        || !d.findElements(By.cssSelector("main#main h1")).isEmpty());
    if (!browser.driver().findElements(By.id("token")).isEmpty()) {
      signIn(TestGateway.OPERATOR_TOKEN);
      browser.awaitText("main#main h1", "Fleet");
    }
    browser.consoleErrors(); // start each test with an empty log
  }

  static void signIn(String token) {
    WebElement input = browser.find("#token");
    input.clear();
    input.sendKeys(token);
    input.sendKeys(Keys.ENTER);
  }

  static void go(String fragment) {
    browser.script("window.location.hash = arguments[0]", fragment);
  }

  static String row(String agentId) {
    return "tr[data-agent-id='" + agentId + "']";
  }

  /** The next message on {@code channel} the agent receives, acknowledged (anything else is acknowledged and skipped). */
  static OpenedRecord receiveAndAck(TestAgent.Session session, String channel) {
    while (true) {
      OpenedRecord r = session.nextNonAck();
      session.ack(r.id());
      if (r.channel().equals(channel)) {
        return r;
      }
    }
  }

  @Test
  void signingInKeepsTheTokenInThisTabOnly() {
    browser.find("#sign-out").click();
    browser.awaitText(".notice", "Signed out");
    assertThat(browser.sessionStorage()).isEmpty();

    signIn("aegis_op_not-a-token-of-this-gateway");
    browser.awaitText(".notice.error", "does not accept this token");
    assertThat(browser.sessionStorage()).isEmpty();
    // The refused check is the only thing the browser logs.
    assertThat(browser.consoleErrors()).singleElement().asString().contains("fleet/summary", "401");

    signIn(TestGateway.OPERATOR_TOKEN);
    browser.awaitText("main#main h1", "Fleet");
    assertThat(browser.sessionStorage()).containsValue(TestGateway.OPERATOR_TOKEN);
    assertThat(browser.driver().getCurrentUrl()).doesNotContain(TestGateway.OPERATOR_TOKEN);
    assertThat(browser.driver().manage().getCookies()).isEmpty();

    // A reload keeps the session (same tab); the token never appears in the page.
    browser.driver().navigate().refresh();
    browser.awaitText("main#main h1", "Fleet");
    assertThat(browser.driver().getPageSource()).doesNotContain(TestGateway.OPERATOR_TOKEN);
    assertThat(browser.consoleErrors()).isEmpty();
  }

  @Test
  void anAgentThatConnectsShowsUpConnectedAndOfflineWhenItLeaves() {
    TestAgent agent = TestAgent.register(gw, unique("web"), Map.of("env", "prod"));
    go("#/fleet?q=" + agent.agentId());
    browser.present(row(agent.agentId()) + "[data-state='offline']");
    browser.awaitText("[data-stat='offline'] .value", "1");

    try (TestAgent.Session session = agent.connect()) {
      WebElement connected = browser.present(row(agent.agentId()) + "[data-state='connected']");
      assertThat(connected.getText()).contains("WebSocket", "test-node", "env=prod");
      browser.awaitText("[data-stat='connected'] .value", "1");
    }
    browser.present(row(agent.agentId()) + "[data-state='offline']");
    browser.awaitText("[data-stat='connected'] .value", "0");
    assertThat(browser.consoleErrors()).isEmpty();
  }

  @Test
  void aMessageSentFromTheConsoleBecomesDelivered() {
    TestAgent agent = TestAgent.register(gw, unique("scan"));
    try (TestAgent.Session session = agent.connect()) {
      go("#/send?agent=" + agent.agentId());
      WebElement message = browser.find("#send-message");
      message.clear();
      message.sendKeys("{\"action\": \"scan\", \"path\": \"/tmp\"}");
      browser.find("form[aria-label='Send to one agent'] button[type='submit']").click();
      browser.awaitText(".notice.ok", "Sent to " + agent.agentId());
      String messageId = browser.present(".progress[data-message-id]").getAttribute("data-message-id");

      OpenedRecord received = receiveAndAck(session, "commands");
      assertThat(received.id()).isEqualTo(messageId);
      assertThat(received.bodyText()).contains("\"path\":\"/tmp\"");

      browser.present(".progress[data-status='delivered']");
      assertThat(browser.find(".progress").getText()).contains("Delivered", "1 of 3");

      // The agent's page lists it with its lifecycle.
      go("#/agents/" + agent.agentId());
      browser.present("tr[data-message-id='" + messageId + "'][data-status='delivered']");
    }
    assertThat(browser.consoleErrors()).isEmpty();
  }

  @Test
  void aBroadcastShowsItsRecipientsDelivered() {
    String group = unique("grp");
    TestAgent first = TestAgent.register(gw, unique("bc"), Map.of("group", group));
    TestAgent second = TestAgent.register(gw, unique("bc"), Map.of("group", group));
    try (TestAgent.Session a = first.connect(); TestAgent.Session b = second.connect()) {
      go("#/broadcast");
      browser.find("input[name='broadcast-target'][value='labels']").click();
      browser.find("#broadcast-labels").sendKeys("group=" + group);
      browser.awaitText("#broadcast-preview", "Reaches 2 active agents, 2 of them connected now");
      browser.find("form[aria-label='Broadcast'] button[type='submit']").click();
      browser.awaitText(".notice.ok", "sent to 2 connected agents");

      String messageId = browser.present(".progress[data-message-id]").getAttribute("data-message-id");
      assertThat(receiveAndAck(a, "commands").id()).isEqualTo(messageId);
      browser.present(".big-number[data-delivered='1'][data-total='2']");
      assertThat(receiveAndAck(b, "commands").id()).isEqualTo(messageId);
      browser.present(".big-number[data-delivered='2'][data-total='2']");
      browser.present(".progress[data-status='delivered']");
    }
    assertThat(browser.consoleErrors()).isEmpty();
  }

  @Test
  void deactivatingAnAgentClosesItsSessionAndItDrops() {
    TestAgent agent = TestAgent.register(gw, unique("rogue"));
    try (TestAgent.Session session = agent.connect()) {
      go("#/agents/" + agent.agentId());
      browser.present("#agent-state [data-state='connected']");

      // Escape cancels the confirmation and gives focus back to the button.
      WebElement deactivate = browser.find("#agent-deactivate");
      deactivate.click();
      browser.find("dialog[open]").sendKeys(Keys.ESCAPE);
      browser.await("the dialog to close", d -> d.findElements(By.cssSelector("dialog")).isEmpty());
      assertThat(browser.driver().switchTo().activeElement().getAttribute("id")).isEqualTo("agent-deactivate");
      assertThat(session.socket().isClosed()).isFalse();

      browser.find("#agent-deactivate").click();
      browser.find("dialog[open] .btn.danger").click();
      assertThat(session.socket().awaitClose(Duration.ofSeconds(30)).code()).isEqualTo(4003);
      browser.present("#agent-state [data-state='inactive']");
      browser.find("#agent-reactivate");
      browser.awaitText(".notice.ok", "was deactivated");
    }
    go("#/fleet?q=" + agent.agentId());
    browser.present(row(agent.agentId()) + "[data-state='inactive']");
    browser.awaitText("[data-stat='inactive'] .value", "1");
    browser.awaitText("[data-stat='connected'] .value", "0");

    go("#/agents/" + agent.agentId());
    browser.find("#agent-reactivate").click();
    browser.present("#agent-state [data-state='offline']");
    assertThat(browser.consoleErrors()).isEmpty();
  }

  @Test
  void everyPageWorksWithTheKeyboardAndWithoutErrors() {
    TestAgent agent = TestAgent.register(gw, unique("kbd"), Map.of("role", "kbd"));
    String policy = unique("baseline");
    assertThat(gw.operator().put("/api/v1/policies/" + policy,
        Map.of("document", Map.of("mode", "enforce"), "description", "first cut")).status()).isEqualTo(201);
    assertThat(gw.operator().post("/api/v1/policies/" + policy + "/assignments", Map.of("label", "role=kbd")).status())
        .isEqualTo(201);

    // Following a link with Enter moves focus to the new page's heading.
    go("#/fleet?q=" + agent.agentId());
    WebElement link = browser.find(row(agent.agentId()) + " a");
    link.sendKeys(Keys.ENTER);
    browser.awaitText("main#main h1", agent.agentId());
    browser.await("focus on the heading", d -> d.switchTo().activeElement().getTagName().equals("h1"));
    browser.awaitText("#agent-policies", policy);

    for (String page : List.of("#/send", "#/broadcast", "#/approvals", "#/policies")) {
      go(page);
      browser.await(page + " rendered", d -> d.findElements(By.cssSelector(".panel")).size() > 0);
    }
    browser.awaitText("#policies", policy);
    go("#/policies/" + policy);
    browser.awaitText("#policy-assignments", "role=kbd");
    browser.awaitText("#policy-document", "enforce");

    // The health page shows what /metrics says.
    go("#/health");
    browser.await("the figures from /metrics", d -> {
      String shown = d.findElement(By.cssSelector("[data-figure='sessions'] .value")).getText();
      return shown.equals(String.valueOf((long) metric("aegis_sessions_open")));
    });
    browser.awaitText("#health-ready", "ready");
    assertThat(browser.consoleErrors()).isEmpty();
  }

  @Test
  void aRequestAwaitingApprovalIsApprovedByASecondOperatorButNotByTheOneThatAsked() {
    TestAgent agent = TestAgent.register(gw, unique("wipe"));
    var created = gw.operator().post("/api/v1/operator-tokens", Map.of("name", "alice", "scopes", List.of("send")));
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    var alice = gw.withToken(created.json().path("token").asText());
    try (TestAgent.Session session = agent.connect()) {
      // The console's own request is kept for approval: the send page says so, with nothing to follow.
      go("#/send?agent=" + agent.agentId());
      WebElement channel = browser.find("#send-channel");
      channel.clear();
      channel.sendKeys("critical");
      browser.find("form[aria-label='Send to one agent'] button[type='submit']").click();
      browser.awaitText(".notice.info", "awaits a second operator's approval");
      assertThat(browser.find(".notice.info").getText()).contains("AEGIS_APPROVAL_CHANNELS");
      String own = browser.present(".notice.info a[data-approval-id]").getAttribute("data-approval-id");

      // Another operator's request.
      var asked = alice.post("/api/v1/agents/" + agent.agentId() + "/send",
          Map.of("channel", "critical", "message", Map.of("wipe", true)));
      assertThat(asked.status()).as(asked.body()).isEqualTo(202);
      String theirs = asked.json().path("approval_id").asText();

      go("#/approvals");
      WebElement row = browser.present(approval(theirs) + "[data-status='awaiting_approval']");
      assertThat(row.getText()).contains("send", "critical", agent.agentId(), "alice",
          "channel 'critical' is listed in AEGIS_APPROVAL_CHANNELS", "{\"wipe\":true}");
      assertThat(browser.find(approval(own)).getText()).contains("AEGIS_ADMIN_TOKEN");

      // The console's token may not approve its own request: the gateway's refusal is shown.
      click(approval(own) + " button[data-action='approve']");
      browser.find("dialog[open] .btn.primary").click();
      browser.awaitText(".notice.error", "the token that made it cannot approve it");
      browser.present(approval(own) + "[data-status='awaiting_approval']");
      // It may reject it, though.
      click(approval(own) + " button[data-action='reject']");
      browser.awaitText(".notice.ok", "Rejected: the send on critical to " + agent.agentId() + " will not be sent");
      browser.await("the rejected request to leave the list", d -> d.findElements(By.cssSelector(approval(own))).isEmpty());

      click(approval(theirs) + " button[data-action='approve']");
      browser.awaitText("dialog[open]", "sent at once, as alice asked it");
      browser.find("dialog[open] .btn.primary").click();
      browser.awaitText(".notice.ok", "Approved: the send on critical to " + agent.agentId() + " went out as message");
      String messageId = browser.present(".notice.ok a[data-message-id]").getAttribute("data-message-id");
      OpenedRecord received = receiveAndAck(session, "critical");
      assertThat(received.id()).isEqualTo(messageId);
      assertThat(received.bodyText()).contains("\"wipe\":true");
      browser.await("the approved request to leave the list", d -> d.findElements(By.cssSelector(approval(theirs))).isEmpty());

      // Decided requests stay visible under their status.
      new Select(browser.find("#approvals-status")).selectByValue("approved");
      WebElement approved = browser.present(approval(theirs) + "[data-status='approved']");
      assertThat(approved.findElement(By.cssSelector("[data-state='approved']")).getText()).isEqualTo("approved");
      assertThat(approved.getText()).contains("by AEGIS_ADMIN_TOKEN");
    }
    // The self-approval refused (403) is the only thing the browser logs.
    assertThat(browser.consoleErrors()).singleElement().asString().contains("/approve", "403");
  }

  static String approval(String approvalId) {
    return "tr[data-approval-id='" + approvalId + "']";
  }

  /**
   * Clicks a button of a table that refreshes every few seconds: once it is enabled (not while a
   * decision is in flight), and again if a refresh replaced it between finding and clicking.
   */
  static void click(String css) {
    browser.await("to click " + css, d -> {
      d.findElement(By.cssSelector(css + ":not([disabled])")).click();
      return true;
    });
  }

  /** A value of this gateway's /metrics. */
  static double metric(String name) {
    for (String line : gw.anonymous().get("/metrics").body().split("\n")) {
      if (line.startsWith(name + "{") || line.startsWith(name + " ")) {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    throw new AssertionError(name + " is not in /metrics");
  }
}
