package io.aegis.bench.scenario;

import com.fasterxml.jackson.databind.JsonNode;
import io.aegis.bench.Harness;
import io.aegis.bench.agent.BenchPayload;
import io.aegis.bench.report.LatencyRecorder;
import io.aegis.bench.report.LoadDriver;
import io.aegis.bench.report.RateMeter;
import io.vertx.core.Promise;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * What a send workload counts, whatever carries it (Aegis REST + WebSocket, or MQTT): sends
 * accepted (and their latency), messages received (and send-to-receive latency from the time in
 * the body), both overall and inside the measured window, refusals by reason, and — for Aegis —
 * sampled sends followed until {@code GET /api/v1/messages/{id}} shows them delivered.
 *
 * <p>Thread-safe.
 */
final class SendMeter {
  final LongAdder accepted = new LongAdder();
  final LongAdder received = new LongAdder();
  final LongAdder acceptedInWindow = new LongAdder();
  final LongAdder receivedInWindow = new LongAdder();
  final LongAdder errors = new LongAdder();
  final Map<String, LongAdder> refused = new ConcurrentHashMap<>();
  final LatencyRecorder acceptLatency = new LatencyRecorder("accept");
  final LatencyRecorder endToEnd = new LatencyRecorder("send_to_receive");
  final LatencyRecorder deliveredAt = new LatencyRecorder("send_to_delivered_at");
  final LatencyRecorder ackVisible = new LatencyRecorder("send_to_ack_visible");
  private final LongAdder samplesOpen = new LongAdder();
  private final long wallAtNano0 = Instant.now().toEpochMilli() * 1_000_000L;
  private final long nano0 = System.nanoTime();
  private volatile long windowStart = Long.MAX_VALUE;
  private volatile long windowEnd = Long.MAX_VALUE;

  void startMeasuring() {
    acceptLatency.reset();
    endToEnd.reset();
    windowStart = System.nanoTime();
  }

  void stopMeasuring() {
    windowEnd = System.nanoTime();
  }

  double measuredSeconds() {
    return (windowEnd - windowStart) / 1e9;
  }

  private boolean inWindow(long nanos) {
    return nanos >= windowStart && nanos < windowEnd;
  }

  /** A send was accepted (2xx, or the broker's PUBACK); returns its ordinal (from 0). */
  long accepted(long scheduled) {
    long now = System.nanoTime();
    long n = accepted.sum();
    accepted.increment();
    acceptLatency.record(now - scheduled);
    if (inWindow(now)) {
      acceptedInWindow.increment();
    }
    return n;
  }

  void refused(String reason) {
    refused.computeIfAbsent(reason, k -> new LongAdder()).increment();
  }

  /** A bench message arrived at its recipient at {@code now}; its body carries the send time. */
  void received(byte[] body, long now) {
    long sent = BenchPayload.timestamp(body);
    received.increment();
    if (inWindow(now)) {
      receivedInWindow.increment();
    }
    if (sent > 0 && inWindow(sent)) {
      endToEnd.record(now - sent);
    }
  }

  /** Polls {@code GET /api/v1/messages/{id}} every 20 ms (30 s at most) until it shows delivered. */
  void follow(Harness h, String messageId, long scheduled) {
    samplesOpen.increment();
    Promise<Void> done = Promise.promise();
    done.future().onComplete(x -> samplesOpen.decrement());
    poll(h, messageId, scheduled, System.nanoTime() + Duration.ofSeconds(30).toNanos(), done);
  }

  private void poll(Harness h, String id, long scheduled, long deadline, Promise<Void> done) {
    h.vertx().setTimer(20, t -> h.api().get("/api/v1/messages/" + id).onComplete(ar -> {
      long now = System.nanoTime();
      if (ar.succeeded() && ar.result().ok()) {
        JsonNode v = ar.result().json();
        if ("delivered".equals(v.path("status").asText())) {
          ackVisible.record(now - scheduled);
          String at = v.path("delivered_at").asText(null);
          if (at != null) {
            Instant i = Instant.parse(at);
            long atNanos = i.getEpochSecond() * 1_000_000_000L + i.getNano();
            deliveredAt.record(atNanos - (wallAtNano0 + (scheduled - nano0)));
          }
          done.complete();
          return;
        }
      }
      if (now > deadline) {
        done.complete();
      } else {
        poll(h, id, scheduled, deadline, done);
      }
    }));
  }

  void awaitSamples(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (samplesOpen.sum() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
  }

  long refusedCount() {
    return refused.values().stream().mapToLong(LongAdder::sum).sum();
  }

  String line(RateMeter acc, RateMeter rec, LoadDriver driver) {
    return String.format("accepted %.0f/s  delivered %.0f/s  in flight %d  behind %d  refused %d  backlog %d  %s",
        acc.sample(), rec.sample(), driver.inFlight(), driver.behind(), refusedCount(),
        accepted.sum() - received.sum(), LatencyRecorder.brief(endToEnd.interval()));
  }
}
