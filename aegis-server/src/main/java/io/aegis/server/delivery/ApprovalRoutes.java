package io.aegis.server.delivery;

import io.aegis.server.api.Access;
import io.aegis.server.api.ApiException;
import io.aegis.server.api.ApiJson;
import io.aegis.server.api.ApiRequest;
import io.aegis.server.api.ApiRouter;
import io.aegis.server.api.Caller;
import io.aegis.server.api.Paging;
import io.aegis.server.api.Reply;
import io.aegis.server.api.Scope;
import io.aegis.server.store.WriteBatcher;
import io.vertx.core.http.HttpMethod;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * {@code /api/v1/approvals}: the sends and broadcasts that wait for a second operator
 * ({@link Approvals}), listed and read with {@code read}, approved or rejected with
 * {@code approve} by a token other than the one that made the request. Approving runs the request
 * at once and answers with what it did.
 */
final class ApprovalRoutes {
  record ApprovalList(List<Approvals.View> approvals, String nextCursor) {}

  private final Approvals approvals;
  private final MessageRoutes messages;
  private final WriteBatcher batcher;
  private final java.util.function.Predicate<String> tokenActive;

  /** @param tokenActive whether an operator token (by id) is still accepted: a revoked requester's request is not run */
  ApprovalRoutes(Approvals approvals, MessageRoutes messages, WriteBatcher batcher,
                 java.util.function.Predicate<String> tokenActive) {
    this.approvals = approvals;
    this.tokenActive = tokenActive;
    this.messages = messages;
    this.batcher = batcher;
  }

  void mount(ApiRouter api) {
    api.route(HttpMethod.GET, "/api/v1/approvals", Access.operator(Scope.READ), this::list);
    api.route(HttpMethod.GET, "/api/v1/approvals/:approval_id", Access.operator(Scope.READ),
        r -> Reply.ok(Approvals.view(find(r))));
    api.routeAsync(HttpMethod.POST, "/api/v1/approvals/:approval_id/approve", Access.operator(Scope.APPROVE),
        this::approve);
    api.route(HttpMethod.POST, "/api/v1/approvals/:approval_id/reject", Access.operator(Scope.APPROVE), this::reject);
  }

  private Reply list(ApiRequest r) {
    Optional<String> status = r.query("status");
    if (status.isPresent() && !Approvals.STATUSES.contains(status.get())) {
      throw ApiException.invalid("status must be one of " + String.join(", ", new java.util.TreeSet<>(Approvals.STATUSES)));
    }
    int limit = Paging.limit(r);
    Optional<String> before = Paging.cursor(r, 1).map(p -> p.get(0));
    List<Approvals.Approval> rows = approvals.list(status, before, limit);
    boolean more = rows.size() > limit;
    List<Approvals.Approval> page = more ? rows.subList(0, limit) : rows;
    return Reply.ok(new ApprovalList(page.stream().map(Approvals::view).toList(),
        more ? Paging.encode(page.get(page.size() - 1).approvalId()) : null));
  }

  private Approvals.Approval find(ApiRequest r) {
    String id = r.path("approval_id");
    if (id.length() > 64 || !id.matches("[A-Za-z0-9-]+")) {
      throw ApiException.invalid("approval_id is not an approval's id");
    }
    return approvals.find(id).orElseThrow(() -> ApiException.notFound("approval '" + id + "' does not exist"));
  }

  /** The approval, if {@code by} may decide it now: awaiting, and (to approve) not its own request. */
  private Approvals.Approval decidable(ApiRequest r, boolean approving) {
    Approvals.Approval a = find(r);
    Caller.Operator by = (Caller.Operator) r.caller();
    if (approving && a.requestedBy().equals(by.tokenId())) {
      throw new ApiException(403, "self_approval", "a request needs a second operator: the token that made it "
          + "cannot approve it");
    }
    if (!a.status().equals(Approvals.AWAITING)) {
      throw ApiException.conflict("not_awaiting_approval", "approval '" + a.approvalId() + "' is " + a.status());
    }
    if (approving && !tokenActive.test(a.requestedBy())) {
      // Whoever asked no longer holds a live token (revoked, expired): a second person's yes does
      // not revive its authority. Reject it instead.
      throw ApiException.conflict("requester_revoked", "the token that asked for approval '" + a.approvalId()
          + "' was revoked or expired since; reject it");
    }
    return a;
  }

  private CompletionStage<Reply> approve(ApiRequest r) {
    Approvals.Approval a = decidable(r, true);
    Caller.Operator by = (Caller.Operator) r.caller();
    if (!approvals.decide(a.approvalId(), Approvals.APPROVED, by)) {
      throw ApiException.conflict("not_awaiting_approval", "approval '" + a.approvalId() + "' was decided or "
          + "expired meanwhile");
    }
    Instant at = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
    CompletionStage<Reply> run;
    try {
      run = messages.runApproved(a);
    } catch (RuntimeException e) {
      run = CompletableFuture.failedFuture(e);
    }
    return run.handle((reply, err) -> {
      Throwable t = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
      if (t != null && !(t instanceof ApiException)) {
        throw t instanceof RuntimeException re ? re : new CompletionException(t);
      }
      int status = t == null ? reply.status() : ((ApiException) t).status();
      byte[] answer = t == null ? ApiJson.write(reply.body() instanceof byte[] b ? ApiJson.tree(b) : reply.body())
          : ApiJson.error(((ApiException) t).code(), t.getMessage());
      return new Outcome(status, answer);
    }).thenCompose(o -> batcher.submit(c -> approvals.result(c, a.approvalId(), o.status(), o.answer()))
        .thenApply(n -> Reply.ok(Approvals.view(decided(a, Approvals.APPROVED, by, at, o)))));
  }

  private record Outcome(int status, byte[] answer) {}

  private Reply reject(ApiRequest r) {
    Approvals.Approval a = decidable(r, false);
    Caller.Operator by = (Caller.Operator) r.caller();
    if (!approvals.decide(a.approvalId(), Approvals.REJECTED, by)) {
      throw ApiException.conflict("not_awaiting_approval", "approval '" + a.approvalId() + "' was decided or "
          + "expired meanwhile");
    }
    return Reply.ok(Approvals.view(decided(a, Approvals.REJECTED, by, Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS), null)));
  }

  private static Approvals.Approval decided(Approvals.Approval a, String status, Caller.Operator by, Instant at,
                                            Outcome o) {
    return new Approvals.Approval(a.approvalId(), a.kind(), a.agentId(), a.channel(), a.recipients(), a.reason(),
        a.request(), a.idempotencyKey(), a.requestedBy(), a.requestedByName(), a.requesterLabel(), status,
        a.createdAt(), a.expiresAt(), by.tokenId(), by.name(), at, o == null ? null : o.status(),
        o == null ? null : new String(o.answer(), java.nio.charset.StandardCharsets.UTF_8));
  }
}
