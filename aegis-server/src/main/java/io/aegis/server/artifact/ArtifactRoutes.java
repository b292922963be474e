package io.aegis.server.artifact;

import io.aegis.server.api.Access;
import io.aegis.server.api.Scope;
import io.aegis.server.api.ApiException;
import io.aegis.server.api.ApiRequest;
import io.aegis.server.api.ApiRouter;
import io.aegis.server.api.Caller;
import io.aegis.server.api.ETags;
import io.aegis.server.api.Paging;
import io.aegis.server.api.Reply;
import io.vertx.core.http.HttpMethod;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * The artifact endpoints: operators publish, list and delete under {@code /api/v1/artifacts};
 * agents poll {@code /api/v1/agents/{agent_id}/artifacts} and fetch content. An agent is told
 * nothing about artifacts that are not for it: fetching one answers 404, as for a missing one.
 */
public final class ArtifactRoutes {
  private final ArtifactStore store;
  private final long maxContentSize;

  /** @param maxContentSize the largest inline content ({@code AEGIS_ARTIFACT_MAX_CONTENT_SIZE}) */
  public ArtifactRoutes(ArtifactStore store, long maxContentSize) {
    this.store = store;
    this.maxContentSize = maxContentSize;
  }

  record ArtifactPage(List<Artifact> artifacts, String nextCursor) {}

  /** An agent's poll: what is new, and the {@code since} to send next time. */
  public record Feed(List<AgentArtifact> artifacts, String cursor) {}

  public void mount(ApiRouter api) {
    api.routeAsync(HttpMethod.POST, "/api/v1/artifacts", Access.operator(Scope.POLICIES_WRITE), this::publish);
    api.route(HttpMethod.GET, "/api/v1/artifacts", Access.operator(Scope.READ), this::list);
    api.route(HttpMethod.GET, "/api/v1/artifacts/:artifact_id", Access.operator(Scope.READ),
        r -> Reply.ok(store.get(r.path("artifact_id")).orElseThrow(() -> noArtifact(r))));
    api.route(HttpMethod.DELETE, "/api/v1/artifacts/:artifact_id", Access.operator(Scope.POLICIES_WRITE), this::delete);
    api.route(HttpMethod.GET, "/api/v1/artifacts/:artifact_id/content", Access.authenticated(Scope.READ), this::content);
    api.route(HttpMethod.GET, "/api/v1/agents/:agent_id/artifacts", Access.operatorOrSelf(Scope.READ), this::poll);
  }

  private CompletionStage<Reply> publish(ApiRequest r) {
    return store.publish(r.body(PublishRequest.class).validate(maxContentSize))
        .thenApply(a -> Reply.created(a).withHeader("Location", "/api/v1/artifacts/" + a.id()));
  }

  private Reply list(ApiRequest r) {
    int limit = Paging.limit(r);
    long after = Paging.cursor(r, 1).map(c -> Paging.number(c.get(0))).orElse(0L);
    List<Artifact> rows = store.list(after, limit + 1);
    boolean more = rows.size() > limit;
    List<Artifact> page = more ? rows.subList(0, limit) : rows;
    return Reply.ok(new ArtifactPage(page, more ? Paging.encode(page.get(limit - 1).cursor()) : null));
  }

  private Reply delete(ApiRequest r) {
    if (!store.delete(r.path("artifact_id"))) {
      throw noArtifact(r);
    }
    return Reply.noContent();
  }

  private Reply content(ApiRequest r) {
    Optional<String> agent = r.caller() instanceof Caller.Agent a ? Optional.of(a.agentId()) : Optional.empty();
    ArtifactContent c = store.content(r.path("artifact_id"), agent).orElseThrow(() -> noArtifact(r));
    if (c.downloadUrl() != null) {
      return new Reply(303, null, null, Map.of("Location", c.downloadUrl()));
    }
    String etag = ETags.quoted(c.sha256());
    if (ETags.matches(r, c.sha256())) {
      return Reply.notModified(etag);
    }
    return Reply.bytes(c.bytes(), "application/octet-stream").withHeader("ETag", etag);
  }

  private Reply poll(ApiRequest r) {
    String agentId = r.path("agent_id");
    long since = r.query("since").map(ArtifactRoutes::since).orElse(0L);
    int limit = Paging.limit(r);
    FeedState state = store.feedState(agentId).orElseThrow(() -> ApiException.notFound("no agent '" + agentId + "'"));
    String etag = ETags.digest(state.fingerprint(), since, limit);
    if (ETags.matches(r, etag)) {
      return Reply.notModified(ETags.quoted(etag));
    }
    // Nothing was published after the agent's cursor: answer without the targeting query.
    List<AgentArtifact> items = since >= state.maxSeq() ? List.of() : store.feed(agentId, since, limit);
    String cursor = items.isEmpty() ? Long.toString(since) : items.get(items.size() - 1).cursor();
    return Reply.ok(new Feed(items, cursor)).withHeader("ETag", ETags.quoted(etag));
  }

  private static long since(String value) {
    try {
      long n = Long.parseLong(value);
      if (n >= 0) {
        return n;
      }
    } catch (NumberFormatException e) {
      // answered below
    }
    throw ApiException.invalid("'since' must be a cursor returned by an earlier poll (a whole number, 0 for the start)");
  }

  private static ApiException noArtifact(ApiRequest r) {
    return ApiException.notFound("no artifact '" + r.path("artifact_id") + "'");
  }
}
