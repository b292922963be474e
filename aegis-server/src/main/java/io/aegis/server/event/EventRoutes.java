package io.aegis.server.event;

import com.fasterxml.jackson.databind.JsonNode;
import io.aegis.server.api.Access;
import io.aegis.server.api.ApiException;
import io.aegis.server.api.ApiRequest;
import io.aegis.server.api.ApiRouter;
import io.aegis.server.api.Paging;
import io.aegis.server.api.Reply;
import io.vertx.core.http.HttpMethod;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The event endpoints: an agent posts batches of its own events
 * ({@code POST /api/v1/agents/{agent_id}/events}); operators read them newest first from
 * {@code /api/v1/events} (or an agent's from {@code /api/v1/agents/{agent_id}/events}).
 */
public final class EventRoutes {
  // Beyond these, times are certainly wrong, and PostgreSQL's TIMESTAMP would refuse some of them.
  private static final Instant EARLIEST = Instant.EPOCH;
  private static final Instant LATEST = Instant.parse("9999-12-31T23:59:59.999Z");

  private final EventStore store;

  public EventRoutes(EventStore store) {
    this.store = store;
  }

  /** An event on the wire: its timestamp is an RFC 3339 string or epoch milliseconds. */
  record IncomingEvent(String type, JsonNode timestamp, JsonNode body) {}

  record Batch(List<IncomingEvent> events) {}

  record Accepted(int accepted) {}

  record EventPage(List<StoredEvent> events, String nextCursor) {}

  public void mount(ApiRouter api) {
    api.route(HttpMethod.POST, "/api/v1/agents/:agent_id/events", Access.SELF, this::append);
    api.route(HttpMethod.GET, "/api/v1/events", Access.OPERATOR, r -> query(r, r.query("agent_id")));
    api.route(HttpMethod.GET, "/api/v1/agents/:agent_id/events", Access.OPERATOR,
        r -> query(r, Optional.of(r.path("agent_id"))));
  }

  private Reply append(ApiRequest r) {
    Batch batch = r.body(Batch.class);
    if (batch.events() == null) {
      throw ApiException.invalid("'events' is required: a list of 1-" + EventStore.MAX_BATCH + " events");
    }
    // The size is checked first so that an oversized batch is a 413 whatever its contents.
    EventStore.checkBatchSize(batch.events().size());
    List<Event> events = new ArrayList<>(batch.events().size());
    for (int i = 0; i < batch.events().size(); i++) {
      IncomingEvent e = batch.events().get(i);
      if (e == null) {
        throw ApiException.invalid("events[" + i + "] must be an object");
      }
      events.add(new Event(e.type(), timestamp(e.timestamp(), i), e.body()));
    }
    return Reply.accepted(new Accepted(store.append(r.path("agent_id"), events)));
  }

  private static Instant timestamp(JsonNode value, int index) {
    String rule = "events[" + index + "].timestamp must be an RFC 3339 time (2026-11-25T20:40:00Z) "
        + "or milliseconds since the epoch";
    Instant t = null;
    try {
      if (value != null && value.isTextual()) {
        t = OffsetDateTime.parse(value.asText()).toInstant();
      } else if (value != null && value.isIntegralNumber() && value.canConvertToLong()) {
        t = Instant.ofEpochMilli(value.asLong());
      }
    } catch (DateTimeException | ArithmeticException e) {
      // answered below
    }
    if (t == null || t.isBefore(EARLIEST) || t.isAfter(LATEST)) {
      throw ApiException.invalid(rule + ", between 1970 and 9999");
    }
    return t;
  }

  private Reply query(ApiRequest r, Optional<String> agentId) {
    Optional<Instant> since = r.queryInstant("since");
    Optional<Instant> until = r.queryInstant("until");
    if (since.isPresent() && until.isPresent() && !since.get().isBefore(until.get())) {
      throw ApiException.invalid("'since' must be before 'until'");
    }
    Optional<EventFilter.Position> after = Paging.cursor(r, 2)
        .map(c -> new EventFilter.Position(Instant.ofEpochMilli(Paging.number(c.get(0))), Paging.number(c.get(1))));
    int limit = Paging.limit(r);
    List<StoredEvent> rows = store.query(new EventFilter(agentId, r.query("type"), since, until, after, limit + 1));
    boolean more = rows.size() > limit;
    List<StoredEvent> page = more ? rows.subList(0, limit) : rows;
    String next = null;
    if (more) {
      StoredEvent last = page.get(limit - 1);
      next = Paging.encode(last.timestamp().toEpochMilli(), last.id());
    }
    return Reply.ok(new EventPage(page, next));
  }
}
