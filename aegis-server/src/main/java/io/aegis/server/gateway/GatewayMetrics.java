package io.aegis.server.gateway;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * The gateway's metrics: sessions open, handshakes by outcome and their latency, sessions
 * closed by close code, and bytes and records in each direction. Thread-safe.
 */
final class GatewayMetrics {
  private final MeterRegistry registry;
  private final Map<String, Timer> handshakes = new ConcurrentHashMap<>();
  private final Map<Integer, Counter> closes = new ConcurrentHashMap<>();
  private final Map<String, Counter> refusals = new ConcurrentHashMap<>();
  private final Map<String, Counter> byBackendKey = new ConcurrentHashMap<>();
  final LongAdder bytesIn = new LongAdder();
  final LongAdder bytesOut = new LongAdder();
  final LongAdder recordsIn = new LongAdder();
  final LongAdder recordsOut = new LongAdder();

  GatewayMetrics(MeterRegistry registry, Supplier<Number> sessionsOpen, Supplier<Number> handshakesPending) {
    this.registry = registry;
    Gauge.builder("aegis.sessions.open", sessionsOpen).description("Authenticated agent sessions on this node").register(registry);
    Gauge.builder("aegis.handshakes.pending", handshakesPending).description("Upgrades whose handshake is in progress").register(registry);
    registry.more().counter("aegis.session.bytes", java.util.List.of(io.micrometer.core.instrument.Tag.of("direction", "in")), bytesIn);
    registry.more().counter("aegis.session.bytes", java.util.List.of(io.micrometer.core.instrument.Tag.of("direction", "out")), bytesOut);
    registry.more().counter("aegis.session.records", java.util.List.of(io.micrometer.core.instrument.Tag.of("direction", "in")), recordsIn);
    registry.more().counter("aegis.session.records", java.util.List.of(io.micrometer.core.instrument.Tag.of("direction", "out")), recordsOut);
    // Every outcome and refusal reason exists from the start, at zero: a rate or an alert over
    // them (deploy/prometheus/alerts.yml) then sees 0, not a missing series, on a quiet node.
    for (String outcome : OUTCOMES) {
      handshakeTimer(outcome);
    }
    for (String reason : REFUSALS) {
      refusalCounter(reason);
    }
  }

  /** Every handshake outcome: the label values of {@code aegis_handshakes_seconds}. */
  static final java.util.List<String> OUTCOMES = java.util.List.of("ok", "failed", "timeout", "closed");
  /** Every refusal reason: the label values of {@code aegis_upgrades_refused_total}. */
  static final java.util.List<String> REFUSALS = java.util.List.of(
      "bad_request", "upgrade_required", "authentication_failed", "rate_limited", "overloaded", "unavailable");

  /** A finished handshake: {@code outcome} is ok, failed, timeout or closed. */
  void handshake(String outcome, long startNanos) {
    handshakeTimer(outcome).record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
  }

  private Timer handshakeTimer(String outcome) {
    return handshakes.computeIfAbsent(outcome, o -> Timer.builder("aegis.handshakes")
        .description("Handshakes by outcome, from upgrade to session record")
        .tag("outcome", o)
        .publishPercentileHistogram()
        .register(registry));
  }

  /** A session opened whose hello asked for the backend key labelled {@code keyId} (see AgentGateway#backendKeyLabel). */
  void handshakeByBackendKey(String keyId) {
    byBackendKey.computeIfAbsent(keyId, k -> Counter.builder("aegis.handshakes.by.backend.key")
        .description("Completed handshakes by the backend key id the agent's client_hello asked for: adoption of a next backend key")
        .tag("key_id", k)
        .register(registry)).increment();
  }

  void closed(int code) {
    closes.computeIfAbsent(code, c -> Counter.builder("aegis.sessions.closed")
        .description("Sessions closed, by WebSocket close code")
        .tag("code", Integer.toString(c))
        .register(registry)).increment();
  }

  /** An upgrade refused before the WebSocket existed: authentication_failed, rate_limited, overloaded, unavailable, bad_request. */
  void refused(String reason) {
    refusalCounter(reason).increment();
  }

  private Counter refusalCounter(String reason) {
    return refusals.computeIfAbsent(reason, r -> Counter.builder("aegis.upgrades.refused")
        .description("WebSocket upgrades refused before the handshake, by reason")
        .tag("reason", r)
        .register(registry));
  }
}
