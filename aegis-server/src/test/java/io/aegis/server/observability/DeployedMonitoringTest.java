package io.aegis.server.observability;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.protocol.record.OpenedRecord;
import io.aegis.server.testing.ApiClient;
import io.aegis.server.testing.Gateways;
import io.aegis.server.testing.StoreKind;
import io.aegis.server.testing.TestAgent;
import io.aegis.server.testing.TestGateway;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * The dashboard and the alert rules in {@code deploy/} ask only for metrics a running node
 * exposes: a renamed metric breaks this test, not an operator's dashboard at 3 a.m.
 */
class DeployedMonitoringTest {
  // Metric names as PromQL writes them; label names and functions do not start with these.
  private static final Pattern METRIC = Pattern.compile("\\b((?:aegis|jvm|process|http_server)_[a-z0-9_]+)\\b");

  static Path repository() {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.isDirectory(dir.resolve("deploy")) && Files.isDirectory(dir.resolve("aegis-server"))) {
        return dir;
      }
    }
    throw new AssertionError("deploy/ not found above " + Path.of("").toAbsolutePath());
  }

  static Set<String> metricsUsedIn(Path file) throws IOException {
    Set<String> names = new TreeSet<>();
    Matcher m = METRIC.matcher(Files.readString(file));
    while (m.find()) {
      names.add(m.group(1));
    }
    return names;
  }

  @Test
  void everyMetricTheDashboardAndAlertsUseIsExposed() throws IOException {
    Path repo = repository();
    Set<String> used = new TreeSet<>(metricsUsedIn(repo.resolve("deploy/grafana/aegis.json")));
    used.addAll(metricsUsedIn(repo.resolve("deploy/prometheus/alerts.yml")));
    assertThat(used).as("metrics named in deploy/").contains("aegis_node_ready", "aegis_sessions_open",
        "aegis_messages_total", "aegis_queue_depth", "aegis_delivery_latency_seconds_bucket",
        "aegis_store_commit_seconds_count", "aegis_store_errors_total", "aegis_upgrades_refused_total",
        "aegis_handshakes_seconds_count");

    try (TestGateway gw = TestGateway.start(StoreKind.SQLITE)) {
      // The meters that exist once there has been traffic: a session that opened, received and
      // acknowledged a message, and closed.
      TestAgent agent = TestAgent.register(gw, Gateways.unique("monitored"));
      ApiClient op = gw.operator();
      try (TestAgent.Session s = agent.connect()) {
        String id = op.post("/api/v1/agents/" + agent.agentId() + "/send",
            Map.of("channel", "commands", "message", Map.of("n", 1))).json().path("message_id").asText();
        OpenedRecord r = s.nextNonAck();
        s.ack(r.id());
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(
            () -> op.get("/api/v1/messages/" + id).json().path("status").asText().equals("delivered"));
      }
      Awaitility.await().atMost(Duration.ofSeconds(60))
          .until(() -> exposed(gw).contains("aegis_sessions_closed_total"));

      Set<String> exposed = exposed(gw);
      assertThat(used).allSatisfy(name -> assertThat(exposed).as("%s in /metrics", name).contains(name));
    }
  }

  /** The sample names of a scrape of {@code /metrics}. */
  private static Set<String> exposed(TestGateway gw) {
    ApiClient.Response r = gw.anonymous().get("/metrics");
    assertThat(r.status()).isEqualTo(200);
    Set<String> names = new TreeSet<>();
    for (String line : r.body().split("\n")) {
      if (!line.isEmpty() && !line.startsWith("#")) {
        names.add(line.split("[{ ]", 2)[0]);
      }
    }
    return names;
  }
}
