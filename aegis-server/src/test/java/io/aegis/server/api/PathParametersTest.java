package io.aegis.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.server.testing.StoreKind;
import io.aegis.server.testing.TestGateway;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every route refuses a malformed path parameter by the one rule of its kind, before it looks anything up. */
class PathParametersTest {
  static TestGateway gw;

  @BeforeAll
  static void start() {
    gw = TestGateway.start(StoreKind.SQLITE);
  }

  @AfterAll
  static void stop() {
    gw.close();
  }

  /** A well-formed value for each kind (that names nothing), so that only the bad one is refused. */
  private static final Map<String, String> WELL_FORMED = Map.of("agent_id", "agent-1", "message_id", "m-1",
      "name", "policy-1", "version", "1", "node_id", "node-1", "token_id", "00000000-0000-4000-8000-000000000000",
      "artifact_id", "00000000-0000-4000-8000-000000000000", "assignment_id", "00000000-0000-4000-8000-000000000000",
      "approval_id", "00000000-0000-4000-8000-000000000000");

  @Test
  void everyRouteRefusesAMalformedPathParameterByItsRule() {
    Pattern param = Pattern.compile("\\{([a-z_]+)}");
    List<String> checked = new ArrayList<>();
    for (RouteSpec route : gw.server().routes()) {
      if (route.access().who() == Access.Who.SELF) {
        continue; // an operator is refused first; an agent's own id is well formed
      }
      Matcher m = param.matcher(route.openApiPath());
      while (m.find()) {
        String bad = m.group(1);
        Matcher fill = param.matcher(route.openApiPath());
        StringBuilder path = new StringBuilder();
        while (fill.find()) {
          fill.appendReplacement(path, fill.group(1).equals(bad) ? "bad%20value%22" : WELL_FORMED.get(fill.group(1)));
        }
        fill.appendTail(path);
        var r = gw.operator().send(route.method(), path.toString(), null, Map.of());
        assertThat(r.status()).as(route + " with a malformed " + bad + ": " + r.body()).isEqualTo(400);
        assertThat(r.errorCode()).as(route.toString()).isEqualTo("invalid_request");
        assertThat(r.json().path("error").path("message").asText()).as(route.toString()).startsWith("invalid " + bad + ":");
        checked.add(route.method() + " " + route.openApiPath() + " " + bad);
      }
    }
    assertThat(checked).contains("POST /api/v1/agents/{agent_id}/send agent_id", "GET /api/v1/agents/{agent_id}/events agent_id",
        "DELETE /api/v1/messages/{message_id} message_id", "POST /api/v1/nodes/{node_id}/drain node_id",
        "GET /api/v1/policies/{name}/versions/{version} version");
  }

  @Test
  void aWellFormedIdThatNamesNothingIsNotFound() {
    assertThat(gw.operator().get("/api/v1/agents/agent-1").status()).isEqualTo(404);
    assertThat(gw.operator().get("/api/v1/artifacts/" + WELL_FORMED.get("artifact_id")).status()).isEqualTo(404);
    assertThat(gw.operator().get("/api/v1/approvals/" + WELL_FORMED.get("approval_id")).status()).isEqualTo(404);
  }
}
