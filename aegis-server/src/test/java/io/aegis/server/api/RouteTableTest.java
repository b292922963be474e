package io.aegis.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.server.testing.Gateways;
import io.aegis.server.testing.StoreKind;
import io.aegis.server.testing.TestAgent;
import io.aegis.server.testing.TestGateway;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The API's routes are matched by {@link RouteTable} where it can, and by Vert.x's router where
 * it cannot: a client sees the same answers either way.
 */
class RouteTableTest {
  static TestGateway gw;
  static TestAgent agent;

  @BeforeAll
  static void start() {
    gw = TestGateway.start(StoreKind.SQLITE);
    agent = TestAgent.register(gw, Gateways.unique("routed"));
  }

  @AfterAll
  static void stop() {
    gw.close();
  }

  @Test
  void aPathParameterIsBoundWhetherOrNotItIsPercentEncoded() {
    String id = agent.agentId();
    assertThat(gw.operator().get("/api/v1/agents/" + id).json().path("agent_id").asText()).isEqualTo(id);
    // The same id with its first character percent-encoded: Vert.x's router decodes it.
    String encoded = "%" + Integer.toHexString(id.charAt(0)).toUpperCase() + id.substring(1);
    assertThat(gw.operator().get("/api/v1/agents/" + encoded).json().path("agent_id").asText()).isEqualTo(id);
    // A trailing slash is not significant, as in Vert.x.
    assertThat(gw.operator().get("/api/v1/agents/" + id + "/").json().path("agent_id").asText()).isEqualTo(id);
  }

  @Test
  void aLiteralRouteRegisteredFirstWinsOverAParameterAtTheSamePlace() {
    // POST /api/v1/agents/broadcast is not a send to an agent called "broadcast".
    var r = gw.operator().send("POST", "/api/v1/agents/broadcast",
        "{\"channel\":\"c\",\"message\":{},\"target\":{\"agent_ids\":[\"" + agent.agentId() + "\"]}}", Map.of());
    assertThat(r.status()).as(r.body()).isEqualTo(202);
    assertThat(r.json().has("sent_to") || r.json().has("queued")).isTrue();
  }

  @Test
  void aKnownPathWithAnotherMethodIs405AndAnUnknownPathIs404() {
    var wrongMethod = gw.operator().send("PUT", "/api/v1/agents/" + agent.agentId() + "/send", "{}", Map.of());
    assertThat(wrongMethod.status()).isEqualTo(405);
    assertThat(wrongMethod.errorCode()).isEqualTo("method_not_allowed");
    assertThat(wrongMethod.header("Allow")).isEqualTo("POST");
    var agentWrongMethod = gw.operator().send("PUT", "/api/v1/agents/" + agent.agentId(), "{}", Map.of());
    assertThat(agentWrongMethod.status()).isEqualTo(405);
    assertThat(agentWrongMethod.header("Allow")).contains("GET", "PATCH");
    var unknown = gw.operator().get("/api/v1/agents/" + agent.agentId() + "/nothing-here");
    assertThat(unknown.status()).isEqualTo(404);
    assertThat(unknown.errorCode()).isEqualTo("not_found");
  }
}
