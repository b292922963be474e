package io.aegis.server.console;

import io.aegis.server.api.Access;
import io.aegis.server.api.Scope;
import io.aegis.server.api.ApiException;
import io.aegis.server.api.ApiRequest;
import io.aegis.server.api.ApiRouter;
import io.aegis.server.api.Paging;
import io.aegis.server.api.Reply;
import io.aegis.server.registry.Labels;
import io.vertx.core.http.HttpMethod;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The fleet's read-only REST views, built for consoles and scripts watching large fleets:
 * {@code GET /api/v1/fleet/summary} (counts by state), {@code GET /api/v1/fleet/agents} (a page
 * of agents with their connection, filtered in the store) and
 * {@code GET /api/v1/fleet/agents/{agent_id}}.
 *
 * <p>A summary counts every matching agent, which on a fleet of millions is the one costly read
 * here, and every open console asks for it every few seconds: so the answer for a filter is
 * reused by every caller on this node for {@link #SUMMARY_TTL}, or for ten times as long as it
 * took to count if that is longer, so that counting never takes more than a tenth of a thread
 * per filter however large the fleet ({@code as_of} says when it was taken). Thread-safe.
 */
public final class FleetRoutes {
  /** How long a summary is reused at least. Short enough that a console, refreshing every few seconds, stays live. */
  static final Duration SUMMARY_TTL = Duration.ofSeconds(2);
  /** Summaries of this many filters at most are kept; beyond it the cache starts over. */
  private static final int MAX_CACHED_SUMMARIES = 256;
  /** Longest accepted {@code q}: the longest agent id. */
  private static final int MAX_SEARCH = 255;

  record AgentPage(List<FleetAgent> agents, String nextCursor) {}

  private record Cached(FleetSummary summary, long takenNanos, long ttlNanos) {}

  private final FleetView fleet;
  private final Map<String, Cached> summaries = new ConcurrentHashMap<>();

  FleetRoutes(FleetView fleet) {
    this.fleet = fleet;
  }

  void mount(ApiRouter api) {
    api.route(HttpMethod.GET, "/api/v1/fleet/summary", Access.operator(Scope.READ), r -> Reply.ok(summary(filter(r, false))));
    api.route(HttpMethod.GET, "/api/v1/fleet/agents", Access.operator(Scope.READ), this::list);
    api.route(HttpMethod.GET, "/api/v1/fleet/agents/:agent_id", Access.operator(Scope.READ), r -> Reply.ok(
        fleet.find(r.path("agent_id")).orElseThrow(() ->
            ApiException.notFound("agent '" + r.path("agent_id") + "' is not registered"))));
  }

  private Reply list(ApiRequest r) {
    FleetView.Filter filter = filter(r, true);
    int limit = Paging.limit(r);
    Optional<String> after = Paging.cursor(r, 1).map(parts -> parts.get(0));
    List<FleetAgent> rows = fleet.list(filter, after, limit);
    boolean more = rows.size() > limit;
    List<FleetAgent> page = more ? rows.subList(0, limit) : rows;
    return Reply.ok(new AgentPage(page, more ? Paging.encode(page.get(page.size() - 1).agentId()) : null));
  }

  private FleetSummary summary(FleetView.Filter filter) {
    String key = filter.search().orElse("") + "\n" + filter.labels().stream().map(Labels.Selector::toString).sorted().toList();
    long now = System.nanoTime();
    Cached cached = summaries.get(key);
    if (cached != null && now - cached.takenNanos() < cached.ttlNanos()) {
      return cached.summary();
    }
    FleetSummary fresh = fleet.summary(filter, Instant.now());
    long took = System.nanoTime() - now;
    if (summaries.size() >= MAX_CACHED_SUMMARIES) {
      summaries.clear();
    }
    summaries.put(key, new Cached(fresh, now, Math.max(SUMMARY_TTL.toNanos(), 10 * took)));
    return fresh;
  }

  /** The filter of a request: {@code q}, {@code label} (repeatable) and, for lists, {@code state}. */
  private static FleetView.Filter filter(ApiRequest r, boolean withState) {
    Optional<String> search = r.query("q").map(q -> {
      if (q.length() > MAX_SEARCH) {
        throw ApiException.invalid("q must be at most " + MAX_SEARCH + " characters");
      }
      return q;
    });
    List<Labels.Selector> labels = r.queryAll("label").stream().map(Labels::parseSelector).toList();
    Optional<String> state = withState ? r.query("state").map(s -> {
      if (!FleetView.STATES.contains(s)) {
        throw ApiException.invalid("state must be one of " + String.join(", ", FleetView.STATES));
      }
      return s;
    }) : Optional.empty();
    return new FleetView.Filter(search, labels, state);
  }
}
