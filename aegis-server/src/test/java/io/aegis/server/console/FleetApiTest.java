package io.aegis.server.console;

import static io.aegis.server.testing.Gateways.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.aegis.server.registry.Labels;
import io.aegis.server.testing.AgentConnection;
import io.aegis.server.testing.ApiClient;
import io.aegis.server.testing.Gateways;
import io.aegis.server.testing.StoreKind;
import io.aegis.server.testing.TestAgent;
import io.aegis.server.testing.TestAgents;
import io.aegis.server.testing.TestGateway;
import io.aegis.server.testing.Transport;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The fleet views ({@code /api/v1/fleet/...}): an agent's state follows its session over either
 * transport, the counts by state add up, and filters and pages run in the store.
 */
class FleetApiTest {
  // HTTP pollers count as connected for AEGIS_MAX_POLL_WAIT after their last poll: keep it short.
  static final Gateways gateways = new Gateways(Map.of("AEGIS_MAX_POLL_WAIT", "2s"));
  static final Duration PATIENCE = Duration.ofSeconds(30);

  @AfterAll
  static void stop() {
    gateways.close();
  }

  static Stream<Arguments> storesAndTransports() {
    return Stream.of(StoreKind.values()).flatMap(store -> Stream.of(Transport.values()).map(t -> Arguments.of(store, t)));
  }

  static String q(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  static JsonNode fleetAgent(TestGateway gw, String agentId) {
    var r = gw.operator().get("/api/v1/fleet/agents/" + agentId);
    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    return r.json();
  }

  static JsonNode summary(TestGateway gw, String query) {
    var r = gw.operator().get("/api/v1/fleet/summary" + query);
    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    return r.json();
  }

  @ParameterizedTest
  @MethodSource("storesAndTransports")
  void anAgentsStateFollowsItsSession(StoreKind store, Transport transport) {
    TestGateway gw = gateways.get(store);
    String team = unique("team");
    TestAgent agent = TestAgent.register(gw, unique("fleet"), Map.of("team", team));
    String byTeam = "?label=" + q("team=" + team);

    JsonNode before = fleetAgent(gw, agent.agentId());
    assertThat(before.path("state").asText()).isEqualTo("offline");
    assertThat(before.path("status").asText()).isEqualTo("active");
    assertThat(before.has("transport")).isFalse();
    assertThat(before.has("last_seen")).isFalse();
    assertThat(before.path("labels").path("team").asText()).isEqualTo(team);

    Instant connecting = Instant.now().minusSeconds(1);
    try (AgentConnection connection = transport.connect(agent)) {
      await().atMost(PATIENCE).untilAsserted(() -> {
        JsonNode a = fleetAgent(gw, agent.agentId());
        assertThat(a.path("state").asText()).isEqualTo("connected");
        assertThat(a.path("transport").asText()).isEqualTo(transport == Transport.WEBSOCKET ? "websocket" : "http");
        assertThat(a.path("node_id").asText()).isEqualTo("test-node");
        assertThat(Instant.parse(a.path("last_seen").asText())).isAfter(connecting);
        assertThat(a.has("connected_since")).isEqualTo(transport == Transport.WEBSOCKET);
      });
      // The counts are cached for up to two seconds.
      await().atMost(PATIENCE).untilAsserted(() -> {
        JsonNode s = summary(gw, byTeam);
        assertThat(s.path("total").asLong()).isEqualTo(1);
        assertThat(s.path("states").path("connected").asLong()).isEqualTo(1);
        assertThat(s.path("states").path("offline").asLong()).isZero();
        assertThat(s.path("transports").path(transport == Transport.WEBSOCKET ? "websocket" : "http").asLong()).isEqualTo(1);
      });
      var connected = gw.operator().get("/api/v1/fleet/agents" + byTeam + "&state=connected");
      assertThat(connected.json().path("agents")).hasSize(1);
      assertThat(gw.operator().get("/api/v1/fleet/agents" + byTeam + "&state=offline").json().path("agents")).isEmpty();
    }

    await().atMost(PATIENCE).untilAsserted(() -> {
      JsonNode a = fleetAgent(gw, agent.agentId());
      assertThat(a.path("state").asText()).isEqualTo("offline");
      assertThat(a.has("transport")).isFalse();
    });
    assertThat(gw.operator().get("/api/v1/fleet/agents" + byTeam + "&state=offline").json().path("agents")).hasSize(1);

    assertThat(gw.operator().post("/api/v1/agents/" + agent.agentId() + "/deactivate", Map.of()).status()).isEqualTo(200);
    assertThat(fleetAgent(gw, agent.agentId()).path("state").asText()).isEqualTo("inactive");
    await().atMost(PATIENCE).untilAsserted(() -> {
      JsonNode s = summary(gw, byTeam);
      assertThat(s.path("states").path("inactive").asLong()).isEqualTo(1);
      assertThat(s.path("states").path("offline").asLong()).isZero();
    });
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aDeactivatedAgentsSessionDropsFromTheConnected(StoreKind store) {
    TestGateway gw = gateways.get(store);
    String team = unique("team");
    TestAgent agent = TestAgent.register(gw, unique("drop"), Map.of("team", team));
    try (TestAgent.Session session = agent.connect()) {
      await().atMost(PATIENCE).until(() -> fleetAgent(gw, agent.agentId()).path("state").asText().equals("connected"));
      gw.operator().post("/api/v1/agents/" + agent.agentId() + "/deactivate", Map.of());
      assertThat(session.socket().awaitClose().code()).isEqualTo(4003);
      await().atMost(PATIENCE).untilAsserted(() -> {
        JsonNode a = fleetAgent(gw, agent.agentId());
        assertThat(a.path("state").asText()).isEqualTo("inactive");
        assertThat(gw.operator().get("/api/v1/fleet/agents?label=" + q("team=" + team) + "&state=connected")
            .json().path("agents")).isEmpty();
      });
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void filtersAndPagesRunInTheStore(StoreKind store) {
    TestGateway gw = gateways.get(store);
    String site = unique("site");
    String prefix = unique("Pg_Web");
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      String id = prefix + "-" + i;
      TestAgents.register(gw, id, Map.of("site", site, "role", i % 2 == 0 ? "web" : "db"));
      ids.add(id);
    }
    // Look-alikes: LIKE's wildcards in the search are literal characters.
    TestAgents.register(gw, prefix.replace("_", "x") + "-9", Map.of("site", site, "role", "web"));

    ApiClient op = gw.operator();
    // Case-insensitive substring search on the id; '_' is not a wildcard.
    String search = prefix.toLowerCase().substring(1);
    var found = op.get("/api/v1/fleet/agents?q=" + q(search) + "&limit=3");
    assertThat(found.status()).as(found.toString()).isEqualTo(200);
    List<String> seen = new ArrayList<>();
    JsonNode page = found.json();
    while (true) {
      page.path("agents").forEach(a -> seen.add(a.path("agent_id").asText()));
      assertThat(page.path("agents").size()).isLessThanOrEqualTo(3);
      if (!page.hasNonNull("next_cursor")) {
        break;
      }
      page = op.get("/api/v1/fleet/agents?q=" + q(search) + "&limit=3&cursor="
          + page.path("next_cursor").asText()).json();
    }
    assertThat(seen).containsExactlyElementsOf(ids);

    var web = op.get("/api/v1/fleet/agents?label=" + q("site=" + site) + "&label=role=web").json();
    assertThat(web.path("agents").findValuesAsText("agent_id"))
        .containsExactly(ids.get(0), ids.get(2), ids.get(4), ids.get(6), prefix.replace("_", "x") + "-9");
    JsonNode counts = summary(gw, "?label=" + q("site=" + site) + "&q=" + q(prefix));
    assertThat(counts.path("total").asLong()).isEqualTo(7);
    assertThat(counts.path("states").path("offline").asLong()).isEqualTo(7);
    assertThat(counts.path("as_of").asText()).isNotEmpty();
  }

  /**
   * A page walks the agents' primary key and stops when it is full: it never reads every active or
   * connected agent to sort them (which SQLite, without statistics, would otherwise plan), so a page
   * costs the same on a fleet of any size.
   */
  @Test
  void onSqliteAPageIsReadInAgentIdOrderWithoutSorting() {
    TestGateway gw = gateways.get(StoreKind.SQLITE);
    FleetView view = new FleetView(gw.server().database(), "agent_connections", "test-node", Set::of);
    List<Labels.Selector> site = List.of(new Labels.Selector("site", "paris"));
    for (Optional<String> state : List.of(Optional.<String>empty(), Optional.of("connected"), Optional.of("offline"))) {
      for (List<Labels.Selector> labels : List.of(List.<Labels.Selector>of(), site)) {
        for (Set<String> pollers : List.of(Set.<String>of(), Set.of("kiosk-1"))) {
          for (Optional<String> after : List.of(Optional.<String>empty(), Optional.of("m"))) {
            String sql = view.listSql(new FleetView.Filter(Optional.of("web"), labels, state), after, 100, pollers);
            List<String> plan = gw.server().database().read(c -> {
              List<String> steps = new ArrayList<>();
              try (PreparedStatement ps = c.prepareStatement("EXPLAIN QUERY PLAN " + sql); ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                  steps.add(rs.getString("detail"));
                }
              }
              return steps;
            });
            assertThat(plan).as(state + " " + labels + " " + pollers + " " + after + ": " + sql)
                .noneMatch(step -> step.contains("TEMP B-TREE"))
                .first().asString().matches("(SCAN|SEARCH) a USING (COVERING )?INDEX sqlite_autoindex_agents_1.*");
          }
        }
      }
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void badQueriesAreRefusedWithTheirReason(StoreKind store) {
    TestGateway gw = gateways.get(store);
    ApiClient op = gw.operator();
    var state = op.get("/api/v1/fleet/agents?state=asleep");
    assertThat(state.status()).isEqualTo(400);
    assertThat(state.errorCode()).isEqualTo("invalid_request");
    assertThat(state.json().path("error").path("message").asText()).contains("connected, offline, inactive");
    assertThat(op.get("/api/v1/fleet/agents?label=novalue").errorCode()).isEqualTo("invalid_request");
    assertThat(op.get("/api/v1/fleet/summary?label=" + q("bad name=x")).errorCode()).isEqualTo("invalid_request");
    assertThat(op.get("/api/v1/fleet/agents?cursor=@@").errorCode()).isEqualTo("invalid_cursor");
    assertThat(op.get("/api/v1/fleet/agents?limit=0").status()).isEqualTo(400);
    assertThat(op.get("/api/v1/fleet/agents?q=" + "x".repeat(256)).status()).isEqualTo(400);
    var missing = op.get("/api/v1/fleet/agents/" + unique("nobody"));
    assertThat(missing.status()).isEqualTo(404);
    assertThat(missing.errorCode()).isEqualTo("not_found");
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void onlyOperatorsSeeTheFleet(StoreKind store) {
    TestGateway gw = gateways.get(store);
    String agentId = unique("nosy");
    String token = TestAgents.register(gw, agentId, Map.of());
    for (String path : List.of("/api/v1/fleet/summary", "/api/v1/fleet/agents", "/api/v1/fleet/agents/" + agentId)) {
      assertThat(gw.anonymous().get(path).status()).as(path).isEqualTo(401);
      var asAgent = gw.withToken(token).get(path);
      assertThat(asAgent.status()).as(path).isEqualTo(403);
      assertThat(asAgent.errorCode()).isEqualTo("forbidden");
    }
  }
}
