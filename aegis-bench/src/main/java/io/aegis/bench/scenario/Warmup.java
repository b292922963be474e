package io.aegis.bench.scenario;

import io.aegis.bench.Harness;
import io.aegis.bench.agent.AgentFleet;
import io.aegis.bench.agent.FleetStats;
import java.time.Duration;

/**
 * Warms both JVMs (the gateway's and the generator's JIT, pools and caches) before a measured
 * phase: the first {@code n} agents connect, then close, and the fleet's latency and rate
 * counters that the measurement reads are reset. Waits until the gateway reports no session
 * open, so a memory baseline taken afterwards does not count them.
 */
final class Warmup {
  private Warmup() {}

  static void run(Harness h, AgentFleet fleet, int n, int maxInFlight) throws InterruptedException {
    FleetStats s = fleet.stats();
    h.progress().phase("warm-up", () -> String.format("open %d/%d, failed %d (%s)", s.open.get(), n, s.failureCount(),
        FleetStats.brief(s.failures)));
    fleet.launcher().configure(0, maxInFlight);
    fleet.launcher().submitAll(fleet.agents().subList(0, n));
    boolean ok = fleet.awaitOpen(n, Duration.ofMinutes(5));
    fleet.closeAll();
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline && h.probe().read().sessionsOpen() > 0) {
      Thread.sleep(200);
    }
    s.handshakeLatency.reset();
    h.progress().say("warm-up: " + (ok ? "" : "NOT all ") + n + " agents connected and closed");
  }
}
