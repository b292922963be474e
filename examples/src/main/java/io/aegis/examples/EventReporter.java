package io.aegis.examples;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.aegis.agent.AgentClient;
import io.aegis.agent.AgentClientBuilder;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An agent that reports events: every interval (default 60 s, {@code AEGIS_REPORT_INTERVAL} in
 * seconds) it sends a {@code host.status} event with the host's load and free memory. The
 * gateway stores it ({@code GET /api/v1/events?agent_id=…}); each send completes when the
 * gateway has committed it, and one sent while disconnected waits in the SDK's outbox.
 */
public final class EventReporter {
  private static final Logger log = LoggerFactory.getLogger(EventReporter.class);

  private final AgentClient client;
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "event-reporter");
    t.setDaemon(true);
    return t;
  });

  private EventReporter(AgentClient client) {
    this.client = client;
  }

  public static void main(String[] args) {
    String seconds = System.getenv().getOrDefault("AEGIS_REPORT_INTERVAL", "60");
    EventReporter reporter = start(ExampleSettings.builder(System.getenv()), Duration.ofSeconds(Long.parseLong(seconds)));
    Runtime.getRuntime().addShutdownHook(new Thread(reporter::close));
    log.info("stopped: {}", reporter.client.stopped().join());
  }

  /** Starts the agent and reports at once, then every {@code interval}. */
  public static EventReporter start(AgentClientBuilder builder, Duration interval) {
    EventReporter reporter = new EventReporter(builder.build().start());
    reporter.timer.scheduleAtFixedRate(reporter::report, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    return reporter;
  }

  /** Sends one {@code host.status} event; the future completes on the gateway's ack. */
  CompletableFuture<Void> report() {
    ObjectNode status = JsonNodeFactory.instance.objectNode()
        .put("load_average", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage())
        .put("free_memory_bytes", Runtime.getRuntime().freeMemory())
        .put("processors", Runtime.getRuntime().availableProcessors());
    return client.sendEvent("host.status", status).whenComplete((ok, err) -> {
      if (err != null) {
        log.warn("event not stored: {}", err.toString());
      } else {
        log.debug("event stored");
      }
    });
  }

  public AgentClient client() {
    return client;
  }

  public void close() {
    timer.shutdownNow();
    client.close();
  }
}
