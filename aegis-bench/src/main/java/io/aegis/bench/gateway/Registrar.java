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

/**
 * Registers simulated agents through the operator API ({@code POST /api/v1/agents} with
 * {@code agent_id}, {@code public_key}, {@code labels}), at most {@code concurrency} requests at
 * once. An agent id that already exists (409) is deleted and registered again with the bench's
 * key. Agents the {@link KeyCache} records as registered are skipped when reusing.
 *
 * <p>One {@link #register} at a time; the counters may be read from any thread.
 */
public final class Registrar {
  private final GatewayClient api;
  private final int concurrency;
  private final Map<String, String> labels;
  /** Agents registered by this run. */
  public final LongAdder done = new LongAdder();
  /** Agents whose registration failed, by reason. */
  public final Map<String, LongAdder> failed = new ConcurrentHashMap<>();

  /** @param labels labels every agent gets (for example {@code bench=<prefix>}, for broadcasts by label) */
  public Registrar(GatewayClient api, int concurrency, Map<String, String> labels) {
    this.api = api;
    this.concurrency = concurrency;
    this.labels = labels;
  }

  /** Registers {@code agents} and marks them in {@code cache}; completes when every request has ended. */
  public CompletableFuture<Void> register(List<AgentIdentity> agents, KeyCache cache) {
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
      registerOne(a).onComplete(ar -> {
        if (ar.succeeded() && ar.result() == null) {
          synchronized (cache) {
            cache.markRegistered(a.agentId());
          }
          done.increment();
        } else {
          String reason = ar.failed() ? ar.cause().getClass().getSimpleName() : ar.result();
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
      return Future.succeededFuture("http_" + r.status() + (r.status() == 401 ? " (operator token refused)" : ""));
    });
  }
}
