package io.aegis.server.observability;

import ch.qos.logback.classic.LoggerContext;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmHeapPressureMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.slf4j.LoggerFactory;

/**
 * The process's metrics registry, exposed in Prometheus text format at {@code /metrics}: JVM
 * (memory, GC, threads, classes), process (CPU, file descriptors, uptime, resident memory) and
 * whatever the gateway's components register.
 */
public final class Observability implements AutoCloseable {
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final JvmGcMetrics gc = new JvmGcMetrics();
  private final JvmHeapPressureMetrics heapPressure = new JvmHeapPressureMetrics();

  public Observability(String nodeId) {
    registry.config().commonTags("node", nodeId);
    // The JSON log format's node_id (JsonLogEncoder). One node per process in production; in
    // tests that start several, the last one started names them all.
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext logs) {
      logs.putProperty(JsonLogEncoder.NODE_ID, nodeId);
    }
    new JvmMemoryMetrics().bindTo(registry);
    gc.bindTo(registry);
    heapPressure.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);
    ProcessMemory.bindTo(registry);
  }

  public MeterRegistry registry() {
    return registry;
  }

  /**
   * Counts and logs exceptions that escaped a handler on a Vert.x thread: always a defect of
   * ours (a client's misbehaviour is refused by rule, never thrown to the event loop), so an
   * operator can alert on {@code aegis_unhandled_exceptions_total} and tests can assert it stays 0.
   */
  public io.vertx.core.Handler<Throwable> unhandledExceptions() {
    io.micrometer.core.instrument.Counter counter = io.micrometer.core.instrument.Counter
        .builder("aegis.unhandled.exceptions")
        .description("Exceptions that escaped a handler on an event loop or worker (defects)")
        .register(registry);
    org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger("io.aegis.server.unhandled");
    return t -> {
      counter.increment();
      log.error("unhandled exception: {}", t.toString(), t);
    };
  }

  /** The current metrics in Prometheus text exposition format. */
  public String scrape() {
    return registry.scrape();
  }

  @Override
  public void close() {
    gc.close();
    heapPressure.close();
    registry.close();
  }
}
