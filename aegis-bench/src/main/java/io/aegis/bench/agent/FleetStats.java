package io.aegis.bench.agent;

import io.aegis.bench.report.LatencyRecorder;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * What a fleet of simulated agents counts. Every field is thread-safe; agents update them from
 * their event loops, the progress line and the report read them.
 */
public final class FleetStats {
  /** Connection attempts started (TCP connect + upgrade + handshake). */
  public final LongAdder attempts = new LongAdder();
  /** Handshakes completed: the session record opened and checked. */
  public final LongAdder handshakes = new LongAdder();
  /** Attempts that did not end in a session, by reason ({@code http_503}, {@code close_4007}, ...). */
  public final Map<String, LongAdder> failures = new ConcurrentHashMap<>();
  /** Open sessions now. */
  public final AtomicInteger open = new AtomicInteger();
  /** Attempts in progress now. */
  public final AtomicInteger inFlight = new AtomicInteger();
  /** Sockets being reset by {@code abort()} whose descriptor is not yet released. */
  public final AtomicInteger closing = new AtomicInteger();
  /** Open sessions that ended without the bench asking, by close code. */
  public final Map<String, LongAdder> lost = new ConcurrentHashMap<>();
  /** From opening the TCP connection to the session record opened and checked. */
  public final LatencyRecorder handshakeLatency = new LatencyRecorder("handshake");
  /** Records received after the session record (key updates excluded). */
  public final LongAdder records = new LongAdder();
  /** Signed messages whose signature block passed every check ({@code CommandVerifier}). */
  public final LongAdder verified = new LongAdder();
  /** Messages refused by the agent's checks, by {@code VerificationResult}; never acknowledged. */
  public final Map<String, LongAdder> refused = new ConcurrentHashMap<>();
  /** Message ids acknowledged (one ack record may carry several). */
  public final LongAdder acked = new LongAdder();
  /** Ack records sent. */
  public final LongAdder ackRecords = new LongAdder();

  void fail(String reason) {
    failures.computeIfAbsent(reason, r -> new LongAdder()).increment();
  }

  void lost(String reason) {
    lost.computeIfAbsent(reason, r -> new LongAdder()).increment();
  }

  void refused(String reason) {
    refused.computeIfAbsent(reason, r -> new LongAdder()).increment();
  }

  public long failureCount() {
    return failures.values().stream().mapToLong(LongAdder::sum).sum();
  }

  public long lostCount() {
    return lost.values().stream().mapToLong(LongAdder::sum).sum();
  }

  public long refusedCount() {
    return refused.values().stream().mapToLong(LongAdder::sum).sum();
  }

  /** A sorted snapshot of a counter map, for reports. */
  public static Map<String, Long> snapshot(Map<String, LongAdder> m) {
    Map<String, Long> out = new TreeMap<>();
    m.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }

  /** "http_503=12 close_4007=3", or "none". */
  public static String brief(Map<String, LongAdder> m) {
    Map<String, Long> s = snapshot(m);
    if (s.isEmpty()) {
      return "none";
    }
    StringBuilder sb = new StringBuilder();
    s.forEach((k, v) -> sb.append(sb.isEmpty() ? "" : " ").append(k).append('=').append(v));
    return sb.toString();
  }
}
