package io.aegis.server.policy;

import com.fasterxml.jackson.databind.JsonNode;
import io.aegis.server.api.Access;
import io.aegis.server.api.Scope;
import io.aegis.server.api.ApiException;
import io.aegis.server.api.ApiRequest;
import io.aegis.server.api.ApiRouter;
import io.aegis.server.api.ETags;
import io.aegis.server.api.Paging;
import io.aegis.server.api.Reply;
import io.vertx.core.http.HttpMethod;
import java.util.List;

/**
 * The policy endpoints: versioned policies and their assignments under {@code /api/v1/policies}
 * (operators), and an agent's effective policies under {@code /api/v1/agents/{agent_id}/policies}
 * (operators or the agent itself, with ETag revalidation).
 */
public final class PolicyRoutes {
  static final int MAX_DESCRIPTION_LENGTH = 4096;

  private final PolicyStore store;

  public PolicyRoutes(PolicyStore store) {
    this.store = store;
  }

  /** {@code PUT /api/v1/policies/{name}}: the body of a new version. */
  record PutBody(JsonNode document, String description) {}

  /** {@code POST …/assignments}: exactly one of the two. */
  record AssignBody(String agentId, String label) {}

  record PolicyPage(List<PolicyVersion> policies, String nextCursor) {}

  record VersionPage(String name, List<PolicyVersion> versions, String nextCursor) {}

  record AssignmentPage(List<PolicyAssignment> assignments, String nextCursor) {}

  public void mount(ApiRouter api) {
    api.route(HttpMethod.PUT, "/api/v1/policies/:name", Access.operator(Scope.POLICIES_WRITE), this::put);
    api.route(HttpMethod.GET, "/api/v1/policies", Access.operator(Scope.READ), this::list);
    api.route(HttpMethod.GET, "/api/v1/policies/:name", Access.operator(Scope.READ),
        r -> Reply.ok(store.latest(r.path("name")).orElseThrow(() -> noPolicy(r))));
    api.route(HttpMethod.DELETE, "/api/v1/policies/:name", Access.operator(Scope.POLICIES_WRITE), this::delete);
    api.route(HttpMethod.GET, "/api/v1/policies/:name/versions", Access.operator(Scope.READ), this::history);
    api.route(HttpMethod.GET, "/api/v1/policies/:name/versions/:version", Access.operator(Scope.READ), this::version);
    api.route(HttpMethod.POST, "/api/v1/policies/:name/assignments", Access.operator(Scope.POLICIES_WRITE), this::assign);
    api.route(HttpMethod.GET, "/api/v1/policies/:name/assignments", Access.operator(Scope.READ), this::assignments);
    api.route(HttpMethod.DELETE, "/api/v1/policies/:name/assignments/:assignment_id", Access.operator(Scope.POLICIES_WRITE), this::unassign);
    api.route(HttpMethod.GET, "/api/v1/agents/:agent_id/policies", Access.operatorOrSelf(Scope.READ), this::effective);
  }

  private Reply put(ApiRequest r) {
    String name = r.path("name"); // its rule: PathParameters, checked before the endpoint runs
    PutBody body = r.body(PutBody.class);
    if (body.document() == null || !body.document().isObject()) {
      throw ApiException.invalid("'document' is required and must be a JSON object");
    }
    if (body.description() != null && body.description().length() > MAX_DESCRIPTION_LENGTH) {
      throw ApiException.invalid("'description' must be at most " + MAX_DESCRIPTION_LENGTH + " characters");
    }
    PolicyVersion v = store.put(name, body.document(), body.description());
    return v.version() == 1
        ? Reply.created(v).withHeader("Location", "/api/v1/policies/" + name + "/versions/1")
        : Reply.ok(v);
  }

  private Reply list(ApiRequest r) {
    int limit = Paging.limit(r);
    String after = Paging.cursor(r, 1).map(c -> c.get(0)).orElse("");
    List<PolicyVersion> rows = store.listLatest(after, limit + 1);
    boolean more = rows.size() > limit;
    List<PolicyVersion> page = more ? rows.subList(0, limit) : rows;
    return Reply.ok(new PolicyPage(page, more ? Paging.encode(page.get(limit - 1).name()) : null));
  }

  private Reply delete(ApiRequest r) {
    if (!store.delete(r.path("name"))) {
      throw noPolicy(r);
    }
    return Reply.noContent();
  }

  private Reply history(ApiRequest r) {
    String name = r.path("name");
    int limit = Paging.limit(r);
    int before = Paging.cursor(r, 1).map(c -> (int) Paging.number(c.get(0))).orElse(Integer.MAX_VALUE);
    List<PolicyVersion> rows = store.history(name, before, limit + 1);
    if (rows.isEmpty() && !store.exists(name)) {
      throw noPolicy(r);
    }
    boolean more = rows.size() > limit;
    List<PolicyVersion> page = more ? rows.subList(0, limit) : rows;
    return Reply.ok(new VersionPage(name, page, more ? Paging.encode(page.get(limit - 1).version()) : null));
  }

  private Reply version(ApiRequest r) {
    String name = r.path("name");
    int version = Integer.parseInt(r.path("version")); // PathParameters: a whole number from 1
    return Reply.ok(store.version(name, version)
        .orElseThrow(() -> ApiException.notFound("policy '" + name + "' has no version " + version)));
  }

  private Reply assign(ApiRequest r) {
    AssignBody body = r.body(AssignBody.class);
    if ((body.agentId() == null) == (body.label() == null)) {
      throw ApiException.invalid("give exactly one of 'agent_id' and 'label' (\"key=value\")");
    }
    PolicyAssignment a = body.agentId() != null
        ? store.assignments().assign(r.path("name"), PolicyAssignment.AGENT, AssignmentTargets.agentId(body.agentId()))
        : store.assignments().assign(r.path("name"), PolicyAssignment.LABEL, AssignmentTargets.label(body.label()));
    return Reply.created(a);
  }

  private Reply assignments(ApiRequest r) {
    String name = r.path("name");
    int limit = Paging.limit(r);
    List<String> after = Paging.cursor(r, 2).orElse(List.of("", ""));
    List<PolicyAssignment> rows = store.assignments().list(name, after.get(0), after.get(1), limit + 1);
    if (rows.isEmpty() && !store.exists(name)) {
      throw noPolicy(r);
    }
    boolean more = rows.size() > limit;
    List<PolicyAssignment> page = more ? rows.subList(0, limit) : rows;
    PolicyAssignment last = page.isEmpty() ? null : page.get(page.size() - 1);
    return Reply.ok(new AssignmentPage(page, more ? Paging.encode(last.targetType(), last.targetValue()) : null));
  }

  private Reply unassign(ApiRequest r) {
    if (!store.assignments().unassign(r.path("name"), r.path("assignment_id"))) {
      throw ApiException.notFound("policy '" + r.path("name") + "' has no assignment " + r.path("assignment_id"));
    }
    return Reply.noContent();
  }

  private Reply effective(ApiRequest r) {
    String agentId = r.path("agent_id");
    EffectivePolicies set = store.effectivePolicies(agentId)
        .orElseThrow(() -> ApiException.notFound("no agent '" + agentId + "'"));
    if (ETags.matches(r, set.etag())) {
      return Reply.notModified(ETags.quoted(set.etag()));
    }
    return Reply.ok(set).withHeader("ETag", ETags.quoted(set.etag()));
  }

  private static ApiException noPolicy(ApiRequest r) {
    return ApiException.notFound("no policy named '" + r.path("name") + "'");
  }
}
