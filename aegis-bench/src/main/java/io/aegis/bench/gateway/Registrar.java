package io.aegis.bench.gateway;

import io.aegis.bench.agent.AgentIdentity;
import io.aegis.bench.agent.KeyCache;
import io.vertx.core.Future;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Registers simulated agents through the operator API ({@code POST /api/v1/agents} with
 * {@code agent_id}, {@code public_key}, {@code labels}), at most {@code concurrency} requests at
 * once. An agent id that already exists (409) is deleted and registered again with the bench's
 * key. Agents the {@link KeyCache} records as registered are skipped when reusing. Also deletes
 * them again ({@link #delete}, for {@code --cleanup}).
 *
 * <p>One {@link #register} or {@link #delete} per instance; the counters may be read from any thread.
 */
public final class Registrar {
  private final GatewayClient api;
  private final int concurrency;
  private final Map<String, String> labels;
  /** Agents registered (or deleted) by this run. */
  public final LongAdder done = new LongAdder();
  /** Agents whose registration (or deletion) failed, by reason. */
  public final Map<String, LongAdder> failed = new ConcurrentHashMap<>();

  /** @param labels labels every agent gets (for example {@code bench=<prefix>}, for broadcasts by label) */
  public Registrar(GatewayClient api, int concurrency, Map<String, String> labels) {
    this.api = api;
    this.concurrency = concurrency;
    this.labels = labels;
  }

  /** Registers {@code agents} and marks them in {@code cache}; completes when every request has ended. */
  public CompletableFuture<Void> register(List<AgentIdentity> agents, KeyCache cache) {
    return each(agents, this::registerOne, a -> {
      synchronized (cache) {
        cache.markRegistered(a.agentId());
      }
    });
  }

  /**
   * Runs {@code request} for every agent, at most {@code concurrency} at once; a null result is a
   * success ({@code succeeded} runs, {@link #done} counts it), anything else a reason counted in
   * {@link #failed}.
   */
  private CompletableFuture<Void> each(List<AgentIdentity> agents, Function<AgentIdentity, Future<String>> request,
                                       Consumer<AgentIdentity> succeeded) {
    ConcurrentLinkedQueue<AgentIdentity> todo = new ConcurrentLinkedQueue<>(agents);
    CompletableFuture<Void> all = new CompletableFuture<>();
    AtomicInteger running = new AtomicInteger();
    Runnable[] next = new Runnable[1];
    next[0] = () -> {
      AgentIdentity a = todo.poll();
      if (a == null) {
        if (running.decrementAndGet() == 0) {
          all.complete(null);
        }
        return;
      }
      request.apply(a).onComplete(ar -> {
        if (ar.succeeded() && ar.result() == null) {
          succeeded.accept(a);
          done.increment();
        } else {
          String reason = ar.failed() ? reason(ar.cause()) : ar.result();
          failed.computeIfAbsent(reason, r -> new LongAdder()).increment();
        }
        next[0].run();
      });
    };
    int n = Math.max(1, Math.min(concurrency, agents.size()));
    running.set(n);
    if (agents.isEmpty()) {
      all.complete(null);
    }
    for (int i = 0; i < n && !agents.isEmpty(); i++) {
      next[0].run();
    }
    return all;
  }

  /** A failed request's reason, as a short word (the exception's message says where it failed). */
  private static String reason(Throwable t) {
    String m = String.valueOf(t.getMessage());
    if (m.contains("Connection refused")) {
      return "connection_refused";
    }
    if (t instanceof java.util.concurrent.TimeoutException || t instanceof io.vertx.core.http.HttpClosedException) {
      return "no_answer";
    }
    return t.getClass().getSimpleName();
  }

  /**
   * Deletes {@code agents} ({@code DELETE /api/v1/agents/{id}}; one already gone counts as
   * deleted) and forgets their registrations in {@code cache}; completes when every request has
   * ended. {@link #done} counts the deleted, {@link #failed} the others by reason.
   */
  public CompletableFuture<Void> delete(List<AgentIdentity> agents, KeyCache cache) {
    return each(agents, a -> api.delete("/api/v1/agents/" + a.agentId())
        .map(r -> r.status() == 204 || r.status() == 404 ? null : "http_" + r.status()), a -> {
          synchronized (cache) {
            cache.forgetRegistration(a.agentId());
          }
        });
  }

  /** Null on success, else a reason. */
  private Future<String> registerOne(AgentIdentity a) {
    Map<String, Object> body = Map.of("agent_id", a.agentId(), "public_key", a.publicKeyBase64(), "labels", labels);
    return api.post("/api/v1/agents", body).compose(r -> {
      if (r.status() == 201) {
        return Future.succeededFuture(null);
      }
      if (r.status() == 409) {
        return api.delete("/api/v1/agents/" + a.agentId())
            .compose(d -> api.post("/api/v1/agents", body))
            .map(r2 -> r2.status() == 201 ? null : "http_" + r2.status());
      }
      return Future.succeededFuture("http_" + r.status());
    });
  }
}
