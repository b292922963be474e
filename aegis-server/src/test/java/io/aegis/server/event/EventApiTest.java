package io.aegis.server.event;

import static io.aegis.server.testing.Gateways.unique;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.aegis.server.testing.ApiClient;
import io.aegis.server.testing.Gateways;
import io.aegis.server.testing.StoreKind;
import io.aegis.server.testing.TestAgents;
import io.aegis.server.testing.TestGateway;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class EventApiTest {
  static final Gateways gateways = new Gateways();
  static final Instant T0 = Instant.parse("2026-11-25T20:40:00Z");

  @AfterAll
  static void stop() {
    gateways.close();
  }

  /** A registered agent and a client holding its session token. */
  record Agent(String id, ApiClient client) {
    ApiClient.Response post(Object... events) {
      return client.post("/api/v1/agents/" + id + "/events", Map.of("events", List.of(events)));
    }
  }

  static Agent agent(TestGateway gw) {
    String id = unique("agent");
    return new Agent(id, gw.withToken(TestAgents.register(gw, id, Map.of())));
  }

  static Map<String, Object> event(String type, Object timestamp, Map<String, Object> body) {
    return Map.of("type", type, "timestamp", timestamp, "body", body);
  }

  static List<JsonNode> readAll(ApiClient op, String query, int limit) {
    List<JsonNode> all = new ArrayList<>();
    String cursor = null;
    int pages = 0;
    do {
      var r = op.get("/api/v1/events?" + query + "&limit=" + limit + (cursor == null ? "" : "&cursor=" + cursor));
      assertThat(r.status()).as(r.toString()).isEqualTo(200);
      assertThat(r.json().path("events").size()).isLessThanOrEqualTo(limit);
      r.json().path("events").forEach(all::add);
      cursor = r.json().path("next_cursor").asText(null);
    } while (cursor != null && ++pages < 100);
    return all;
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void anAgentPostsABatchAndOperatorsReadItNewestFirst(StoreKind store) {
    TestGateway gw = gateways.get(store);
    Agent agent = agent(gw);
    Instant before = Instant.now().minusSeconds(1);

    var posted = agent.post(
        event("process.start", "2026-11-25T20:40:00Z", Map.of("pid", 4242, "exe", "/usr/bin/curl")),
        event("yara:match", T0.plusSeconds(60).toEpochMilli(), Map.of("rule", "mimikatz")),
        event("net.connect", "2026-11-25T21:40:30.250+01:00", Map.of()));
    assertThat(posted.status()).as(posted.toString()).isEqualTo(202);
    assertThat(posted.json().path("accepted").asInt()).isEqualTo(3);

    var r = gw.operator().get("/api/v1/events?agent_id=" + agent.id());
    assertThat(r.status()).isEqualTo(200);
    JsonNode events = r.json().path("events");
    assertThat(events).extracting(e -> e.path("type").asText()).containsExactly("yara:match", "net.connect", "process.start");
    assertThat(events).extracting(e -> e.path("timestamp").asText())
        .containsExactly("2026-11-25T20:41:00.000Z", "2026-11-25T20:40:30.250Z", "2026-11-25T20:40:00.000Z");
    JsonNode last = events.get(2);
    assertThat(last.path("id").asText()).isNotBlank();
    assertThat(last.path("agent_id").asText()).isEqualTo(agent.id());
    assertThat(last.path("body").path("pid").asInt()).isEqualTo(4242);
    assertThat(last.path("body").path("exe").asText()).isEqualTo("/usr/bin/curl");
    assertThat(Instant.parse(last.path("received_at").asText())).isAfter(before);
    assertThat(r.json().has("next_cursor")).isFalse();

    // The per-agent shortcut answers the same.
    assertThat(gw.operator().get("/api/v1/agents/" + agent.id() + "/events").json().path("events")).isEqualTo(events);
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aBatchIsValidatedWholeAndStoredAllOrNothing(StoreKind store) {
    TestGateway gw = gateways.get(store);
    Agent agent = agent(gw);
    var good = event("login", T0.toEpochMilli(), Map.of());
    List<Map.Entry<String, Object>> bad = List.of(
        Map.entry("type", event("has space", T0.toEpochMilli(), Map.of())),
        Map.entry("type", event("-dash", T0.toEpochMilli(), Map.of())),
        Map.entry("type", event("t".repeat(129), T0.toEpochMilli(), Map.of())),
        Map.entry("timestamp", event("login", "yesterday", Map.of())),
        Map.entry("timestamp", event("login", "2026-11-25T20:40:00", Map.of())), // no offset: not RFC 3339
        Map.entry("timestamp", event("login", 1.5, Map.of())),
        Map.entry("timestamp", event("login", -1, Map.of())),
        Map.entry("timestamp", Map.of("type", "login", "body", Map.of())),
        Map.entry("body", Map.of("type", "login", "timestamp", T0.toEpochMilli())),
        Map.entry("body", Map.of("type", "login", "timestamp", T0.toEpochMilli(), "body", List.of(1))));
    for (var b : bad) {
      var r = agent.post(good, b.getValue());
      assertThat(r.status()).as(b.toString()).isEqualTo(400);
      assertThat(r.errorCode()).isEqualTo("invalid_request");
      assertThat(r.json().path("error").path("message").asText()).as(b.toString()).contains("events[1]." + b.getKey());
    }
    var unknown = agent.post(good, Map.of("type", "login", "timestamp", 1, "body", Map.of(), "severity", "high"));
    assertThat(unknown.status()).isEqualTo(400);
    assertThat(unknown.errorCode()).isEqualTo("unknown_field");
    assertThat(unknown.json().path("error").path("message").asText()).contains("severity");

    // The valid first event of each refused batch was not stored either.
    assertThat(gw.operator().get("/api/v1/events?agent_id=" + agent.id()).json().path("events").size()).isZero();
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void batchesHoldOneToAThousandEvents(StoreKind store) {
    TestGateway gw = gateways.get(store);
    Agent agent = agent(gw);
    String path = "/api/v1/agents/" + agent.id() + "/events";
    var one = event("tick", T0.toEpochMilli(), Map.of());

    var empty = agent.client().post(path, Map.of("events", List.of()));
    assertThat(empty.status()).isEqualTo(400);
    var missing = agent.client().post(path, Map.of());
    assertThat(missing.status()).isEqualTo(400);
    assertThat(missing.json().path("error").path("message").asText()).contains("'events'");

    var tooMany = agent.client().post(path, Map.of("events", IntStream.range(0, 1001).mapToObj(i -> one).toList()));
    assertThat(tooMany.status()).isEqualTo(413);
    assertThat(tooMany.errorCode()).isEqualTo("payload_too_large");
    assertThat(tooMany.json().path("error").path("message").asText()).contains("1000");

    var full = agent.client().post(path, Map.of("events",
        IntStream.range(0, 1000).mapToObj(i -> event("tick", T0.toEpochMilli() + i, Map.of("i", i))).toList()));
    assertThat(full.status()).isEqualTo(202);
    assertThat(full.json().path("accepted").asInt()).isEqualTo(1000);
    var newest = gw.operator().get("/api/v1/agents/" + agent.id() + "/events?limit=1");
    assertThat(newest.json().path("events").get(0).path("body").path("i").asInt()).isEqualTo(999);
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void onlyTheAgentItselfPostsItsEvents(StoreKind store) {
    TestGateway gw = gateways.get(store);
    Agent agent = agent(gw);
    Agent other = agent(gw);
    var body = Map.of("events", List.of(event("login", T0.toEpochMilli(), Map.of())));

    var asOther = other.client().post("/api/v1/agents/" + agent.id() + "/events", body);
    assertThat(asOther.status()).isEqualTo(403);
    assertThat(asOther.errorCode()).isEqualTo("forbidden");
    var asOperator = gw.operator().post("/api/v1/agents/" + agent.id() + "/events", body);
    assertThat(asOperator.status()).as("operators never impersonate agents").isEqualTo(403);
    assertThat(gw.anonymous().post("/api/v1/agents/" + agent.id() + "/events", body).status()).isEqualTo(401);

    // Reading events is for operators, even an agent's own.
    assertThat(agent.client().get("/api/v1/events").status()).isEqualTo(403);
    assertThat(agent.client().get("/api/v1/agents/" + agent.id() + "/events").status()).isEqualTo(403);
    assertThat(gw.anonymous().get("/api/v1/events").status()).isEqualTo(401);
    assertThat(gw.operator().get("/api/v1/events?agent_id=" + agent.id()).json().path("events").size()).isZero();
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void eventsAreFilteredByTimeRangeAndType(StoreKind store) {
    TestGateway gw = gateways.get(store);
    Agent agent = agent(gw);
    ApiClient op = gw.operator();
    List<Object> batch = new ArrayList<>();
    for (int minute = 0; minute < 5; minute++) {
      batch.add(event(minute % 2 == 0 ? "even" : "odd", T0.plusSeconds(60L * minute).toString(), Map.of("m", minute)));
    }
    assertThat(agent.post(batch.toArray()).status()).isEqualTo(202);
    String base = "/api/v1/events?agent_id=" + agent.id();

    // since is inclusive, until exclusive.
    var range = op.get(base + "&since=" + T0.plusSeconds(60) + "&until=" + T0.plusSeconds(180));
    assertThat(range.json().path("events")).extracting(e -> e.path("body").path("m").asInt()).containsExactly(2, 1);
    var millis = op.get(base + "&since=" + T0.plusSeconds(60).toEpochMilli() + "&until=" + T0.plusSeconds(180).toEpochMilli());
    assertThat(millis.json().path("events")).isEqualTo(range.json().path("events"));
    var sinceOnly = op.get(base + "&since=" + T0.plusSeconds(180));
    assertThat(sinceOnly.json().path("events")).extracting(e -> e.path("body").path("m").asInt()).containsExactly(4, 3);
    var untilOnly = op.get(base + "&until=" + T0.plusSeconds(60));
    assertThat(untilOnly.json().path("events")).extracting(e -> e.path("body").path("m").asInt()).containsExactly(0);

    var odd = op.get(base + "&type=odd");
    assertThat(odd.json().path("events")).extracting(e -> e.path("body").path("m").asInt()).containsExactly(3, 1);
    var evenInRange = op.get("/api/v1/agents/" + agent.id() + "/events?type=even&since=" + T0.plusSeconds(60));
    assertThat(evenInRange.json().path("events")).extracting(e -> e.path("body").path("m").asInt()).containsExactly(4, 2);

    var inverted = op.get(base + "&since=" + T0.plusSeconds(180) + "&until=" + T0);
    assertThat(inverted.status()).isEqualTo(400);
    var badTime = op.get(base + "&since=last-tuesday");
    assertThat(badTime.status()).isEqualTo(400);
    assertThat(badTime.json().path("error").path("message").asText()).contains("since");
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void pagesCoverEveryEventOnceEvenWithEqualTimestamps(StoreKind store) {
    TestGateway gw = gateways.get(store);
    Agent agent = agent(gw);
    List<Object> batch = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      // Five events share one millisecond; the id breaks the tie.
      Instant at = i < 5 ? T0 : T0.plusSeconds(i);
      batch.add(event("tick", at.toEpochMilli(), Map.of("i", i)));
    }
    assertThat(agent.post(batch.toArray()).status()).isEqualTo(202);

    List<JsonNode> all = readAll(gw.operator(), "agent_id=" + agent.id(), 2);
    assertThat(all).extracting(e -> e.path("body").path("i").asInt()).containsExactly(6, 5, 4, 3, 2, 1, 0);
    assertThat(all).extracting(e -> e.path("id").asText()).doesNotHaveDuplicates();

    var bad = gw.operator().get("/api/v1/events?cursor=bm9wZQ");
    assertThat(bad.status()).isEqualTo(400);
    assertThat(bad.errorCode()).isEqualTo("invalid_cursor");
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void theJavaApiAppendsWhatTheRestApiReads(StoreKind store) {
    TestGateway gw = gateways.get(store);
    String agentId = unique("ws-agent");
    var body = JsonNodeFactory.instance.objectNode().put("via", "websocket");
    int stored = gw.server().events().append(agentId, List.of(new Event("channel.events", T0, body)));
    assertThat(stored).isEqualTo(1);

    var r = gw.operator().get("/api/v1/events?agent_id=" + agentId + "&type=channel.events");
    assertThat(r.json().path("events")).hasSize(1);
    assertThat(r.json().path("events").get(0).path("body").path("via").asText()).isEqualTo("websocket");
    assertThat(r.json().path("events").get(0).path("timestamp").asText()).isEqualTo("2026-11-25T20:40:00.000Z");
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void queriesWithIdentifiersNoEventCouldHaveAreRefused(StoreKind store) {
    TestGateway gw = gateways.get(store);
    for (String q : new String[] {"agent_id=%27quoted%27", "agent_id=..%2F..%2Fetc", "agent_id=" + "a".repeat(300),
        "agent_id=nul%00", "type=%27quoted%27", "type=..%2Fx", "type=" + "t".repeat(200)}) {
      var r = gw.operator().get("/api/v1/events?" + q);
      assertThat(r.status()).as(q).isEqualTo(400);
      assertThat(r.json().path("error").path("code").asText()).isEqualTo("invalid_request");
    }
    assertThat(gw.operator().get("/api/v1/agents/has%20space/events").status()).isEqualTo(400);
    assertThat(gw.operator().get("/api/v1/agents/fine-agent/events?type=x%2Fy").status()).isEqualTo(400);
  }
}
