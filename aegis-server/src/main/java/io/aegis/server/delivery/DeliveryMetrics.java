package io.aegis.server.delivery;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Delivery metrics: messages by outcome and channel ({@code aegis_messages_total}), delivery
 * latency from acceptance to the agent's acknowledgement ({@code aegis_delivery_latency_seconds},
 * a histogram), redeliveries, queue depth by status, and broadcast fan-out time. Thread-safe.
 */
final class DeliveryMetrics {
  private final MeterRegistry registry;
  private final Map<String, Counter> counters = new ConcurrentHashMap<>();
  private final Timer latency;
  private final Timer fanOut;
  private final AtomicLong pending = new AtomicLong();
  private final AtomicLong sent = new AtomicLong();

  DeliveryMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.latency = Timer.builder("aegis.delivery.latency")
        .description("From a send's acceptance (committed) to the agent's acknowledgement")
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(1))
        .maximumExpectedValue(Duration.ofMinutes(10))
        .register(registry);
    this.fanOut = Timer.builder("aegis.broadcast.fanout")
        .description("From a broadcast's acceptance to its hand-off to every connected recipient's session")
        .register(registry);
    Gauge.builder("aegis.queue.depth", pending, AtomicLong::get).tag("status", "pending")
        .description("Undelivered messages in the part of the queue this node sweeps (the whole queue on a node alone; "
            + "sum over the nodes of a cluster), sampled by the sweep").register(registry);
    Gauge.builder("aegis.queue.depth", sent, AtomicLong::get).tag("status", "sent").register(registry);
  }

  /** A message reached {@code outcome} (accepted, sent, delivered, redelivered, failed, expired, cancelled, rejected). */
  void count(String outcome, String channel) {
    counter(outcome, channel).increment();
  }

  void count(String outcome, String channel, int n) {
    counter(outcome, channel).increment(n);
  }

  private Counter counter(String outcome, String channel) {
    return counters.computeIfAbsent(outcome + '\0' + channel, k -> Counter.builder("aegis.messages")
        .description("Messages by outcome and channel")
        .tag("outcome", outcome)
        .tag("channel", channel)
        .register(registry));
  }

  void delivered(Duration sinceAccepted) {
    latency.record(sinceAccepted);
  }

  void fanOut(Duration d) {
    fanOut.record(d);
  }

  void depth(Map<String, Long> byStatus) {
    pending.set(byStatus.getOrDefault(MessageQueue.PENDING, 0L));
    sent.set(byStatus.getOrDefault(MessageQueue.SENT, 0L));
  }
}
