package io.aegis.server.delivery;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Delivery metrics: messages by outcome and channel ({@code aegis_messages_total}), delivery
 * latency from acceptance to the agent's acknowledgement ({@code aegis_delivery_latency_seconds},
 * a histogram), redeliveries, queue depth by status, and broadcast fan-out time. Thread-safe.
 *
 * <p>Channel names are chosen by operators and agents, so the {@code channel} label is capped:
 * the gateway's own channels and the first {@code maxChannels} others this node counts get their
 * name, every later one counts as {@value #OTHER}. A typo'd or generated channel name then costs
 * one series at most, never one per name.
 */
final class DeliveryMetrics {
  /** The {@code channel} label of messages on channels beyond the cap. */
  static final String OTHER = "other";
  // Always named: the gateway's pushes and agent events, and its own labels for messages expired
  // by the sweep ("*") and for refusals of messages this node does not hold ("unknown").
  private static final Set<String> BUILT_IN = Set.of("policy", "artifacts", "events", "*", "unknown");

  private final MeterRegistry registry;
  private final int maxChannels;
  private final Set<String> namedChannels = ConcurrentHashMap.newKeySet();
  private final Map<String, Counter> counters = new ConcurrentHashMap<>();
  private final Timer latency;
  private final Timer fanOut;
  private final AtomicLong pending = new AtomicLong();
  private final AtomicLong sent = new AtomicLong();

  DeliveryMetrics(MeterRegistry registry, int maxChannels) {
    this.registry = registry;
    this.maxChannels = maxChannels;
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
    for (String reason : io.aegis.protocol.RejectionReasons.ALL) {
      rejection(reason);
    }
    rejection(io.aegis.protocol.RejectionReasons.OTHER);
  }

  /** An agent refused a message for {@code reason} (one of RejectionReasons.ALL, or other). */
  void rejected(String reason) {
    rejection(reason).increment();
  }

  private Counter rejection(String reason) {
    return counters.computeIfAbsent("rejection " + reason, k -> Counter.builder("aegis.rejections")
        .description("Messages agents refused, by reason (PROTOCOL.md §11.2)")
        .tag("reason", reason)
        .register(registry));
  }

  /** A message reached {@code outcome} (accepted, sent, delivered, redelivered, failed, expired, cancelled, rejected). */
  void count(String outcome, String channel) {
    counter(outcome, channel).increment();
  }

  void count(String outcome, String channel, int n) {
    counter(outcome, channel).increment(n);
  }

  private Counter counter(String outcome, String channel) {
    String label = channelLabel(channel);
    return counters.computeIfAbsent(outcome + '\0' + label, k -> Counter.builder("aegis.messages")
        .description("Messages by outcome and channel (the first channels seen; later ones as \"other\")")
        .tag("outcome", outcome)
        .tag("channel", label)
        .register(registry));
  }

  /** {@code channel}, or {@value #OTHER} once {@code maxChannels} other names have a label. */
  String channelLabel(String channel) {
    if (BUILT_IN.contains(channel) || namedChannels.contains(channel)) {
      return channel;
    }
    // Racing threads may both see room for one more: the cap can be passed by a few names, never
    // by an unbounded number.
    if (namedChannels.size() < maxChannels) {
      namedChannels.add(channel);
      return channel;
    }
    return OTHER;
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
