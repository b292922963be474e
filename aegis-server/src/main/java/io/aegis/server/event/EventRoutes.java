package io.aegis.server.event;

import io.aegis.server.api.Access;
import io.aegis.server.api.Scope;
import io.aegis.server.api.ApiException;
import io.aegis.server.api.ApiRequest;
import io.aegis.server.api.ApiRouter;
import io.aegis.server.api.Paging;
import io.aegis.server.api.Reply;
import io.vertx.core.http.HttpMethod;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The event endpoints: an agent posts batches of its own events
 * ({@code POST /api/v1/agents/{agent_id}/events}); operators read them newest first from
 * {@code /api/v1/events} (or an agent's from {@code /api/v1/agents/{agent_id}/events}).
 */
public final class EventRoutes {
  // Beyond these, times are certainly wrong, and PostgreSQL's TIMESTAMP would refuse some of them.

  private final EventStore store;

  public EventRoutes(EventStore store) {
    this.store = store;
  }

  record Accepted(int accepted) {}

  record EventPage(List<StoredEvent> events, String nextCursor) {}

  public void mount(ApiRouter api) {
    api.route(HttpMethod.POST, "/api/v1/agents/:agent_id/events", Access.SELF, this::append);
    api.route(HttpMethod.GET, "/api/v1/events", Access.operator(Scope.READ), r -> query(r, r.query("agent_id")));
    api.route(HttpMethod.GET, "/api/v1/agents/:agent_id/events", Access.operator(Scope.READ),
        r -> query(r, Optional.of(r.path("agent_id"))));
  }

  private Reply append(ApiRequest r) {
    List<Event> events = EventBatch.events(r.body(EventBatch.class));
    return Reply.accepted(new Accepted(store.append(r.path("agent_id"), events)));
  }

  private Reply query(ApiRequest r, Optional<String> agentId) {
    // The same rules as everywhere else: a value no event could have is an error, not an empty page.
    agentId.ifPresent(id -> {
      String error = io.aegis.protocol.Identifiers.agentIdError(id);
      if (error != null) {
        throw ApiException.invalid("invalid agent_id: " + error);
      }
    });
    r.query("type").ifPresent(type -> {
      if (!EventStore.TYPE.matcher(type).matches()) {
        throw ApiException.invalid("invalid type: an event type is 1-128 characters of A-Za-z0-9._:- starting with a "
            + "letter or digit");
      }
    });
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
