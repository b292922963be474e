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
