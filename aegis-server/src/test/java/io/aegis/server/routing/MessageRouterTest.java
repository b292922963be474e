package io.aegis.server.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.aegis.protocol.record.OpenedRecord;
import io.aegis.server.testing.Gateways;
import io.aegis.server.testing.StoreKind;
import io.aegis.server.testing.TestAgent;
import io.aegis.server.testing.TestGateway;
import io.aegis.server.testing.Waits;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** What agents send inside their sessions, and the answer each gets. */
class MessageRouterTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final Gateways gateways = new Gateways();

  @AfterAll
  static void stop() {
    gateways.close();
  }

  static JsonNode json(OpenedRecord r) throws Exception {
    return JSON.readTree(r.body());
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void eventsSentInTheSessionAreStoredAndAcknowledged(StoreKind store) throws Exception {
    TestGateway gw = gateways.get(store);
    TestAgent agent = TestAgent.register(gw, Gateways.unique("ev"));
    try (TestAgent.Session s = agent.connect()) {
      s.sendSigned("ev-1", "event", "events", Map.of(),
          "{\"events\":[{\"type\":\"process.start\",\"timestamp\":1764100000000,\"body\":{\"pid\":7}}]}");
      OpenedRecord ack = s.next();
      assertThat(ack.type()).isEqualTo("ack");
      assertThat(json(ack).path("ids").get(0).asText()).isEqualTo("ev-1");
      var events = gw.operator().get("/api/v1/agents/" + agent.agentId() + "/events").json().path("events");
      assertThat(events).hasSize(1);
      assertThat(events.get(0).path("type").asText()).isEqualTo("process.start");
      assertThat(events.get(0).path("body").path("pid").asInt()).isEqualTo(7);
    }
  }

  @Test
  void anEventSentAgainInANewSessionIsStoredOnce() throws Exception {
    TestGateway gw = gateways.get(StoreKind.SQLITE);
    TestAgent agent = TestAgent.register(gw, Gateways.unique("resend"));
    String batch = "{\"events\":[{\"type\":\"once\",\"timestamp\":1764100000000,\"body\":{}}]}";
    for (int session = 0; session < 2; session++) {
      try (TestAgent.Session s = agent.connect()) {
        s.sendSigned("ev-resent", "event", "events", Map.of(), batch);
        assertThat(json(s.next()).path("ids").get(0).asText()).isEqualTo("ev-resent");
      }
    }
    assertThat(gw.operator().get("/api/v1/agents/" + agent.agentId() + "/events").json().path("events")).hasSize(1);
  }

  @Test
  void unsignedDataRecordsAreRefusedWhenSignaturesAreRequired() throws Exception {
    TestGateway gw = gateways.get(StoreKind.SQLITE);
    TestAgent agent = TestAgent.register(gw, Gateways.unique("unsigned"));
    try (TestAgent.Session s = agent.connect()) {
      s.send("ev-2", "event", "events", Map.of(), "{\"events\":[]}");
      OpenedRecord err = s.next();
      assertThat(err.type()).isEqualTo("error");
      assertThat(err.headers()).containsEntry("in-reply-to", "ev-2");
      assertThat(json(err).path("code").asText()).isEqualTo("signature_required");
    }
  }

  @Test
  void controlRecordsOfTheWrongJsonTypesAreRefusedNotCoerced() throws Exception {
    TestGateway gw = gateways.get(StoreKind.SQLITE);
    TestAgent agent = TestAgent.register(gw, Gateways.unique("types"));
    try (TestAgent.Session s = agent.connect()) {
      String[][] cases = {
          {"subscribe", "{\"channels\":[1]}", "invalid_body"},
          {"subscribe", "{\"channels\":[true]}", "invalid_body"},
          {"subscribe", "{\"channels\":[1.5]}", "invalid_body"},
          {"subscribe", "{\"channels\":[\"ok\"],\"extra\":1}", "unknown_field"},
          {"subscribe", "[\"ok\"]", "invalid_body"},
          {"ack", "{\"ids\":[12345]}", "invalid_body"},
          {"ack", "{\"ids\":[\"m1\"],\"rejected\":{\"m1\":7}}", "invalid_body"},
          {"ack", "{\"ids\":[],\"more\":true}", "unknown_field"},
      };
      int n = 0;
      for (String[] c : cases) {
        String id = "t-" + n++;
        s.send(id, c[0], "control", Map.of(), c[1]);
        OpenedRecord err = s.next();
        assertThat(err.type()).as(c[1]).isEqualTo("error");
        assertThat(err.headers()).containsEntry("in-reply-to", id);
        assertThat(json(err).path("code").asText()).as(c[1]).isEqualTo(c[2]);
      }
      // Nothing was subscribed on the way.
      assertThat(gw.operator().get("/api/v1/agents/" + agent.agentId() + "/status").json().path("channels")).isEmpty();
    }
  }

  @Test
  void aChannelNobodyHandlesGetsAnErrorAndTheSessionGoesOn() throws Exception {
    TestGateway gw = gateways.get(StoreKind.SQLITE);
    TestAgent agent = TestAgent.register(gw, Gateways.unique("unknown"));
    try (TestAgent.Session s = agent.connect()) {
      s.sendSigned("q-1", "request", "no-such-channel", Map.of(), "{}");
      OpenedRecord err = s.next();
      assertThat(err.type()).isEqualTo("error");
      assertThat(json(err).path("code").asText()).isEqualTo("unknown_channel");
      // Still usable: a policy request is answered.
      s.sendSigned("q-2", "request", "policy", Map.of(), "{}");
      OpenedRecord answer = s.next();
      assertThat(answer.type()).isEqualTo("response");
      assertThat(answer.headers()).containsEntry("in-reply-to", "q-2");
      assertThat(json(answer).path("agent_id").asText()).isEqualTo(agent.agentId());
    }
  }

  @Test
  void malformedAcksAndForbiddenTypesGetErrors() throws Exception {
    TestGateway gw = gateways.get(StoreKind.SQLITE);
    TestAgent agent = TestAgent.register(gw, Gateways.unique("malformed"));
    try (TestAgent.Session s = agent.connect()) {
      s.send("a-1", "ack", "control", Map.of(), "{\"nope\":1}");
      assertThat(json(s.next()).path("code").asText()).isEqualTo("unknown_field");
      s.send("a-1b", "ack", "control", Map.of(), "{}");
      assertThat(json(s.next()).path("code").asText()).isEqualTo("invalid_body");
      s.send("a-2", "backend_key", "control", Map.of(), "{}");
      assertThat(json(s.next()).path("code").asText()).isEqualTo("unsupported_type");
      s.sendSigned("a-3", "response", "commands", Map.of(), "{}");
      assertThat(json(s.next()).path("code").asText()).isEqualTo("invalid_response");
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void subscriptionsPersistAndDriveChannelBroadcasts(StoreKind store) throws Exception {
    TestGateway gw = gateways.get(store);
    TestAgent agent = TestAgent.register(gw, Gateways.unique("sub"));
    String channel = "alerts-" + Gateways.unique("c").toLowerCase();
    try (TestAgent.Session s = agent.connect()) {
      s.send("s-1", "subscribe", "control", Map.of(), "{\"channels\":[\"" + channel + "\"]}");
      assertThat(json(s.next()).path("ids").get(0).asText()).isEqualTo("s-1");
      var status = gw.operator().get("/api/v1/agents/" + agent.agentId() + "/status").json();
      assertThat(status.path("channels").get(0).asText()).isEqualTo(channel);
      var channels = gw.operator().get("/api/v1/channels").json().path("channels");
      JsonNode mine = null;
      for (JsonNode c : channels) {
        if (c.path("name").asText().equals(channel)) {
          mine = c;
        }
      }
      assertThat(mine).isNotNull();
      assertThat(mine.path("subscribers").asInt()).isEqualTo(1);

      var r = gw.operator().post("/api/v1/agents/broadcast", Map.of("channel", channel, "message", Map.of("a", 1),
          "message_type", "event", "target", Map.of("subscribers", true)));
      assertThat(r.json().path("sent_to")).hasSize(1);
      OpenedRecord rec = s.nextNonAck();
      assertThat(rec.channel()).isEqualTo(channel);

      s.send("s-2", "unsubscribe", "control", Map.of(), "{\"channels\":[\"" + channel + "\"]}");
      await().atMost(Waits.EVENT).until(() -> gw.operator().get("/api/v1/agents/" + agent.agentId()
          + "/status").json().path("channels").isEmpty());
    }
  }
}
