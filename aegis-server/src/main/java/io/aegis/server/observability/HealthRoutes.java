package io.aegis.server.observability;

import io.aegis.server.store.Database;
import io.micrometer.core.instrument.Gauge;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.Router;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * {@code GET /healthz}: the process is alive (always 200 while it serves). {@code GET /readyz}:
 * the store answers and the node is not draining (200), else 503, so a load balancer sends
 * agents elsewhere; the answer names the node and how it hears the cluster ({@code "cluster":
 * "single"}, {@code "ok"} or {@code "degraded"}: a degraded node still serves, from the store, so
 * it stays ready). {@code GET /metrics}: Prometheus text format, with the same readiness as the
 * gauge {@code aegis_node_ready} (1 or 0), so that an alert can see a fleet with no ready node.
 */
public final class HealthRoutes {
  private HealthRoutes() {}

  public static void mount(Router router, Observability observability, Database database,
                           WorkerExecutor worker, BooleanSupplier draining, String nodeId,
                           Supplier<String> clusterHealth) {
    // Sampled when /metrics is scraped, which runs on the worker pool: the store check may block.
    Gauge.builder("aegis.node.ready", () -> !draining.getAsBoolean() && database.isReachable() ? 1 : 0)
        .description("1 while this node answers /readyz with 200 (store reachable, not draining), else 0")
        .register(observability.registry());
    router.get("/healthz").handler(ctx -> ctx.response()
        .putHeader("Content-Type", "application/json")
        .putHeader("Cache-Control", "no-store")
        .end("{\"status\":\"ok\"}"));
    router.get("/readyz").handler(ctx -> worker.executeBlocking(database::isReachable, false)
        .onComplete(ar -> {
          boolean storeOk = ar.succeeded() && ar.result();
          boolean ready = storeOk && !draining.getAsBoolean();
          com.fasterxml.jackson.databind.node.ObjectNode body = io.aegis.server.api.ApiJson.MAPPER.createObjectNode();
          if (ready) {
            body.put("status", "ready").put("store", "ok");
          } else {
            body.putObject("error").put("code", "unavailable")
                .put("message", storeOk ? "the node is draining or shutting down" : "the store is unreachable");
          }
          body.put("node_id", nodeId).put("cluster", clusterHealth.get());
          ctx.response()
              .setStatusCode(ready ? 200 : 503)
              .putHeader("Content-Type", "application/json")
              .putHeader("Cache-Control", "no-store")
              .end(Buffer.buffer(io.aegis.server.api.ApiJson.write(body)));
        }));
    router.get("/metrics").handler(ctx -> worker.executeBlocking(observability::scrape, false)
        .onComplete(ar -> {
          if (ar.failed()) {
            ctx.fail(ar.cause());
            return;
          }
          ctx.response()
              .putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
              .end(Buffer.buffer(ar.result()));
        }));
  }
}
