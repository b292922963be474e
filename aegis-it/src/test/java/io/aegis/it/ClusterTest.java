package io.aegis.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.aegis.it.testing.TestCluster;
import io.aegis.protocol.record.OpenedRecord;
import io.aegis.server.testing.AgentSocket;
import io.aegis.server.testing.ApiClient;
import io.aegis.server.testing.TestAgent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Three nodes, one database, one Redis: every REST call may land on any node and act on agents
 * whose sessions are on any other. Each test names its own agents; the cluster is shared.
 */
class ClusterTest {
  private static final AtomicInteger ids = new AtomicInteger();
  private static TestCluster cluster;

  @BeforeAll
  static void start() {
    cluster = TestCluster.start(3);
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static String unique(String prefix) {
    return prefix + "-" + ids.incrementAndGet();
  }

  /** Registers an agent and opens its session on node {@code node}. */
  private static TestAgent.Session onNode(String agentId, int node) {
    TestAgent agent = cluster.register(agentId);
    TestAgent.Session s = agent.at(cluster.url(node)).connect();
    awaitConnectedOn(agentId, node);
    return s;
  }

  /** Waits until every node sees the agent's session on {@code node}. */
  private static void awaitConnectedOn(String agentId, int node) {
    for (int i = 0; i < cluster.size(); i++) {
      ApiClient api = cluster.operator(i);
      await("status of " + agentId + " on node-" + i).atMost(Duration.ofSeconds(20)).until(() -> {
        JsonNode st = api.get("/api/v1/agents/" + agentId + "/status").json();
        return st.path("connected").asBoolean() && st.path("node_id").asText().equals(TestCluster.nodeId(node));
      });
    }
  }

  private static ApiClient.Response send(int viaNode, String agentId, Map<String, Object> body) {
    return cluster.operator(viaNode).post("/api/v1/agents/" + agentId + "/send", body);
  }

  @Test
  void aSendThroughOneNodeReachesAnAgentOnAnother() {
    String agentId = unique("cross");
    try (TestAgent.Session s = onNode(agentId, 2)) {
      var r = send(0, agentId, Map.of("channel", "commands", "message", Map.of("n", 1), "message_type", "request"));
      assertThat(r.status()).as(r.body()).isEqualTo(202);
      assertThat(r.json().path("status").asText()).as("node-0 knows the agent is connected elsewhere")
          .isEqualTo("sent");
      String id = r.json().path("message_id").asText();
      OpenedRecord rec = s.nextNonAck();
      assertThat(rec.id()).isEqualTo(id);
      s.ack(id);
      await().atMost(Duration.ofSeconds(20)).until(() ->
          cluster.operator(1).get("/api/v1/messages/" + id).json().path("status").asText().equals("delivered"));
    }
  }

  @Test
  void theStatusOnEveryNodeNamesTheNodeAndTheTransport() {
    String agentId = unique("status");
    try (TestAgent.Session s = onNode(agentId, 1)) {
      for (int i = 0; i < 3; i++) {
        JsonNode st = cluster.operator(i).get("/api/v1/agents/" + agentId + "/status").json();
        assertThat(st.path("connected").asBoolean()).isTrue();
        assertThat(st.path("node_id").asText()).isEqualTo("node-1");
        assertThat(st.path("transport").asText()).isEqualTo("websocket");
      }
    }
  }

  @Test
  void aBroadcastReachesAgentsOnEveryNodeUnderOneSignature() {
    String label = unique("site");
    List<TestAgent.Session> sessions = new ArrayList<>();
    try {
      for (int i = 0; i < 6; i++) {
        String agentId = label + "-a" + i;
        TestAgent agent = cluster.register(agentId, Map.of("site", label));
        sessions.add(agent.at(cluster.url(i % 3)).connect());
        awaitConnectedOn(agentId, i % 3);
      }
      var r = cluster.operator(1).post("/api/v1/agents/broadcast", Map.of("channel", "commands",
          "message", Map.of("scan", true), "target", Map.of("labels", Map.of("site", label))));
      assertThat(r.status()).as(r.body()).isEqualTo(202);
      assertThat(r.json().path("counts").path("sent_to").asInt()).isEqualTo(6);
      String id = r.json().path("message_id").asText();
      for (TestAgent.Session s : sessions) {
        OpenedRecord rec = s.nextNonAck();
        assertThat(rec.id()).isEqualTo(id);
        s.ack(id);
      }
    } finally {
      sessions.forEach(TestAgent.Session::close);
    }
  }

  @Test
  void aSendWaitingForTheResponseOnOneNodeGetsTheAnswerGivenOnAnother() throws Exception {
    String agentId = unique("wait");
    try (TestAgent.Session s = onNode(agentId, 2)) {
      CompletableFuture<ApiClient.Response> answer = CompletableFuture.supplyAsync(() -> send(0, agentId,
          Map.of("channel", "commands", "message", Map.of("q", "uptime"), "message_type", "request", "wait", "20s")));
      OpenedRecord rec = s.nextNonAck();
      long answeredAt = System.nanoTime();
      s.sendSigned("resp-" + rec.id(), "response", "commands", Map.of("in-reply-to", rec.id()), "{\"uptime\":42}");
      ApiClient.Response r = answer.get(30, TimeUnit.SECONDS);
      assertThat(r.status()).as(r.body()).isEqualTo(200);
      assertThat(r.json().path("response").path("uptime").asInt()).isEqualTo(42);
      // Carried by the cluster's notice, not found by a poll of the store (which the sweep
      // interval, 1 s here, would bound): well under that on an idle machine; generous here.
      assertThat(Duration.ofNanos(System.nanoTime() - answeredAt)).isLessThan(Duration.ofSeconds(15));
    }
  }

  @Test
  void aPolicyChangeReachesAgentsOnEveryNode() throws Exception {
    String label = unique("pol");
    String policy = unique("fw");
    List<TestAgent.Session> sessions = new ArrayList<>();
    try {
      cluster.operator(0).put("/api/v1/policies/" + policy, Map.of("document", Map.of("mode", "audit")));
      cluster.operator(0).post("/api/v1/policies/" + policy + "/assignments", Map.of("label", "site=" + label));
      for (int i = 0; i < 3; i++) {
        String agentId = label + "-a" + i;
        sessions.add(cluster.register(agentId, Map.of("site", label)).at(cluster.url(i)).connect());
        awaitConnectedOn(agentId, i);
      }
      for (TestAgent.Session s : sessions) {
        OpenedRecord first = s.nextNonAck(); // the catch-up on connect
        assertThat(first.channel()).isEqualTo("policy");
        s.ack(first.id());
      }
      cluster.operator(1).put("/api/v1/policies/" + policy, Map.of("document", Map.of("mode", "enforce")));
      for (TestAgent.Session s : sessions) {
        OpenedRecord live = s.nextNonAck();
        assertThat(live.channel()).isEqualTo("policy");
        assertThat(live.bodyText()).contains("enforce");
        s.ack(live.id());
      }
    } finally {
      sessions.forEach(TestAgent.Session::close);
    }
  }

  @Test
  void deactivatingAnAgentThroughOneNodeClosesItsSessionOnAnother() {
    String agentId = unique("revoke");
    try (TestAgent.Session s = onNode(agentId, 2)) {
      long start = System.nanoTime();
      var r = cluster.operator(1).post("/api/v1/agents/" + agentId + "/deactivate", Map.of());
      assertThat(r.status()).as(r.body()).isEqualTo(200);
      AgentSocket.Closed closed = s.socket().awaitClose(Duration.ofSeconds(20));
      assertThat(closed.code()).isEqualTo(4003);
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }
  }

  @Test
  void anAgentThatConnectsToAnotherNodeReplacesItsSessionThere() {
    String agentId = unique("replace");
    TestAgent agent = cluster.register(agentId);
    try (TestAgent.Session old = agent.at(cluster.url(0)).connect()) {
      awaitConnectedOn(agentId, 0);
      try (TestAgent.Session fresh = agent.at(cluster.url(2)).connect()) {
        AgentSocket.Closed closed = old.socket().awaitClose(Duration.ofSeconds(20));
        assertThat(closed.code()).isEqualTo(4004);
        awaitConnectedOn(agentId, 2);
        assertThat(fresh.socket().isClosed()).isFalse();
      }
    }
  }

  @Test
  void everyNodeListsTheCluster() {
    for (int i = 0; i < 3; i++) {
      ApiClient api = cluster.operator(i);
      await().atMost(Duration.ofSeconds(20)).until(() -> api.get("/api/v1/nodes").json().path("nodes").size() == 3);
      JsonNode nodes = api.get("/api/v1/nodes").json().path("nodes");
      List<String> names = new ArrayList<>();
      nodes.forEach(n -> {
        names.add(n.path("node_id").asText());
        assertThat(n.path("state").asText()).isEqualTo("up");
      });
      assertThat(names).containsExactlyInAnyOrder("node-0", "node-1", "node-2");
      JsonNode ready = cluster.operator(i).get("/readyz").json();
      assertThat(ready.path("cluster").asText()).isEqualTo("ok");
      assertThat(ready.path("node_id").asText()).isEqualTo("node-" + i);
    }
  }

  @Test
  void agentsAndOperatorsGoThroughTheLoadBalancer() {
    String agentId = unique("lb");
    TestAgent agent = cluster.register(agentId);
    try (TestAgent.Session s = agent.connect()) {
      await().atMost(Duration.ofSeconds(20)).until(() ->
          cluster.operator().get("/api/v1/agents/" + agentId + "/status").json().path("connected").asBoolean());
      var r = cluster.operator().post("/api/v1/agents/" + agentId + "/send", Map.of("channel", "commands",
          "message", Map.of("via", "nginx")));
      assertThat(r.status()).as(r.body()).isEqualTo(202);
      OpenedRecord rec = s.nextNonAck();
      assertThat(rec.id()).isEqualTo(r.json().path("message_id").asText());
    }
  }
}
