package io.aegis.it.testing;

import io.aegis.server.testing.ApiClient;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An operator that sends to the fleet at a steady rate through the load balancer, whatever
 * happens to the nodes, and keeps the ids of the sends the API acknowledged (202): those, and
 * only those, the cluster promised to deliver. A send that failed (a node died under it) is not
 * retried here: it may or may not have been committed, which is what idempotency keys are for.
 */
public final class SteadySender implements AutoCloseable {
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
  private final Set<String> acknowledged = ConcurrentHashMap.newKeySet();
  private final AtomicInteger failed = new AtomicInteger();

  private SteadySender() {}

  /** Sends one message every {@code periodMillis} to a random agent of {@code agentIds}. */
  public static SteadySender start(ApiClient api, List<String> agentIds, long periodMillis) {
    SteadySender s = new SteadySender();
    AtomicInteger n = new AtomicInteger();
    s.timer.scheduleAtFixedRate(() -> {
      String agentId = agentIds.get(ThreadLocalRandom.current().nextInt(agentIds.size()));
      try {
        var r = api.post("/api/v1/agents/" + agentId + "/send", Map.of("channel", "commands",
            "message", Map.of("n", n.incrementAndGet())));
        if (r.status() == 202) {
          s.acknowledged.add(r.json().path("message_id").asText());
        } else {
          s.failed.incrementAndGet();
        }
      } catch (RuntimeException e) {
        s.failed.incrementAndGet();
      }
    }, 0, periodMillis, TimeUnit.MILLISECONDS);
    return s;
  }

  /** The message ids the API acknowledged so far. */
  public Set<String> acknowledged() {
    return Set.copyOf(acknowledged);
  }

  /** How many sends were not acknowledged. */
  public int failed() {
    return failed.get();
  }

  /** Stops sending (the send under way finishes first). */
  @Override
  public void close() {
    timer.shutdown();
    try {
      timer.awaitTermination(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
