package io.aegis.bench.scenario;

import io.aegis.bench.DurationConverter;
import io.aegis.bench.Harness;
import io.aegis.bench.agent.AgentFleet;
import io.aegis.bench.agent.AgentIdentity;
import io.aegis.bench.agent.Backoff;
import io.aegis.bench.agent.FleetStats;
import io.aegis.bench.gateway.GatewayProbe;
import io.aegis.bench.report.CpuMeter;
import io.aegis.bench.report.LatencyRecorder;
import io.aegis.bench.report.RateMeter;
import io.aegis.bench.report.Report;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code connect}: ramp to N authenticated sessions, hold them, and measure handshakes per
 * second, handshake latency, sessions held, and the gateway's memory per session.
 *
 * <p>Memory per session is (reading after the ramp − reading before it) ÷ sessions open, for the
 * resident set size and for the JVM heap in use. When the gateway's pid is known (spawned, or
 * {@code --gateway-pid}) both readings are taken right after a full GC of the gateway
 * ({@code jcmd GC.run}), so the heap figure counts live objects only; otherwise after a pause,
 * and the report says the heap was not collected.
 */
@Command(name = "connect", mixinStandardHelpOptions = true,
    description = "Ramp to N sessions (at R handshakes/s or flat out), hold them, report handshakes/s, handshake "
        + "latency and the gateway's memory per session.")
public final class ConnectScenario extends ScenarioCommand {
  @Option(names = "--agents", defaultValue = "1000", description = "Sessions to open (default ${DEFAULT-VALUE}).")
  int agents;

  @Option(names = "--rate", defaultValue = "0", description = "Connection attempts started per second; 0 = flat out "
      + "(default), bounded by --max-in-flight.")
  double rate;

  @Option(names = "--max-in-flight", defaultValue = "256", description = "Attempts in progress at once (default "
      + "${DEFAULT-VALUE}; 0 = unbounded).")
  int maxInFlight;

  @Option(names = "--hold", defaultValue = "30s", converter = DurationConverter.class,
      description = "How long to hold the sessions before measuring memory and closing (default ${DEFAULT-VALUE}).")
  Duration hold;

  @Option(names = "--warmup", defaultValue = "-1", description = "Agents that connect and disconnect once before the "
      + "measured ramp, to warm both JVMs up (default: min(N, 1000); 0 = none).")
  int warmup;

  @Option(names = "--timeout", defaultValue = "10m", converter = DurationConverter.class,
      description = "Give up the ramp after this long (default ${DEFAULT-VALUE}).")
  Duration timeout;

  @Override
  String name() {
    return "connect";
  }

  @Override
  int run(Harness h) throws Exception {
    Report report = h.report();
    report.parameter("agents", agents).parameter("rate", rate == 0 ? "flat out" : rate + "/s")
        .parameter("max_in_flight", maxInFlight).parameter("hold", hold.toSeconds() + " s");
    List<AgentIdentity> ids = h.agents(agents);
    AgentFleet fleet = h.fleet(ids, new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30)), true);
    FleetStats s = fleet.stats();
    int warm = warmup < 0 ? Math.min(agents, 1000) : Math.min(agents, warmup);
    report.parameter("warmup_agents", warm);
    if (warm > 0) {
      Warmup.run(h, fleet, warm, maxInFlight);
    }

    GatewayProbe probe = h.probe();
    boolean collected = probe.forceGc();
    pause(collected ? 500 : 2000);
    GatewayProbe.Reading before = probe.read();

    RateMeter hsRate = new RateMeter(s.handshakes::sum);
    h.progress().phase("ramp", () -> String.format("open %d/%d  %.0f hs/s  in flight %d  queued %d  failed %d (%s)  %s",
        s.open.get(), agents, hsRate.sample(), s.inFlight.get(), fleet.launcher().queued(), s.failureCount(),
        FleetStats.brief(s.failures), LatencyRecorder.brief(s.handshakeLatency.interval())));
    long handshakesBefore = s.handshakes.sum();
    long attemptsBefore = s.attempts.sum();
    long failuresBefore = s.failureCount();
    CpuMeter rampCpu = new CpuMeter(probe.pid());
    long t0 = System.nanoTime();
    fleet.connectAll(rate, maxInFlight);
    boolean reached = fleet.awaitOpen(agents, timeout);
    double rampSeconds = (System.nanoTime() - t0) / 1e9;
    CpuMeter.Usage rampUsage = rampCpu.stop();
    hsRate.sampleIfOlderThan(500);
    long handshakes = s.handshakes.sum() - handshakesBefore;
    h.progress().say(String.format("%s %d sessions in %.2f s (%.0f handshakes/s)", reached ? "reached" : "timed out at",
        s.open.get(), rampSeconds, handshakes / rampSeconds));

    int minOpen = s.open.get();
    long lostBefore = s.lostCount();
    h.progress().phase("hold", () -> String.format("open %d  lost %d (%s)", s.open.get(), s.lostCount(),
        FleetStats.brief(s.lost)));
    long holdEnd = System.nanoTime() + hold.toNanos();
    while (System.nanoTime() < holdEnd) {
      pause(200);
      minOpen = Math.min(minOpen, s.open.get());
    }
    collected = probe.forceGc();
    pause(collected ? 500 : 2000);
    GatewayProbe.Reading after = probe.read();
    int open = s.open.get();
    h.progress().phase("close", () -> "open " + s.open.get());
    fleet.closeAll();

    double sessions = Math.max(1, after.sessionsOpen() > 0 ? after.sessionsOpen() : open);
    report.figure("sessions_target", agents, "sessions", "N, the sessions the run set out to open");
    report.figure("sessions_open_after_hold", open, "sessions",
        "sessions open in the simulated agents at the end of the hold");
    report.figure("sessions_open_gateway", (long) after.sessionsOpen(), "sessions",
        "aegis_sessions_open as the gateway reported it at the end of the hold");
    report.figure("sessions_min_during_hold", minOpen, "sessions", "the fewest sessions open at any 200 ms sample of the hold");
    report.figure("sessions_lost_during_hold", s.lostCount() - lostBefore, "sessions",
        "open sessions that the gateway or the network ended during the hold (by close code in the JSON)");
    report.figure("ramp_seconds", Harness.round(rampSeconds), "s",
        "from the first connection attempt to N sessions open (or to --timeout)");
    report.figure("handshakes_per_second", Harness.round(handshakes / rampSeconds), "1/s",
        "handshakes completed during the ramp divided by ramp_seconds");
    report.figure("handshakes_per_second_peak", Harness.round(hsRate.peak()), "1/s",
        "the most handshakes completed in one 1-second progress interval of the ramp");
    report.figure("connection_attempts", s.attempts.sum() - attemptsBefore, "attempts", "connection attempts started (retries included)");
    report.figure("failed_attempts", s.failureCount() - failuresBefore, "attempts",
        "attempts that did not end in a session (by reason in the JSON; retried after a jittered backoff)");
    if (rampUsage.gateway() >= 0) {
      report.figure("gateway_cpu_us_per_handshake", Harness.round(rampUsage.gateway() * 1e6 / Math.max(1, handshakes)),
          "us", "gateway CPU time (user+system) during the ramp divided by handshakes completed");
    }
    report.figure("bench_cpu_us_per_handshake", Harness.round(rampUsage.bench() * 1e6 / Math.max(1, handshakes)), "us",
        "this load generator's CPU time during the ramp divided by handshakes (client side of the handshake, "
            + "TCP and WebSocket)");
    report.figure("machine_cpu_busy_during_ramp", Harness.round(rampUsage.machine() / Math.max(1e-9, rampUsage.seconds())),
        "CPUs", "average busy CPUs of the whole machine during the ramp (2 = both cores busy)");
    report.figure("other_processes_cpu_during_ramp", Harness.round(rampUsage.others() / Math.max(1e-9, rampUsage.seconds())),
        "CPUs", "average CPUs used during the ramp by processes other than the bench and the gateway (shared machine)");
    report.figure("gateway_rss_before", mib(before.rssBytes()), "MiB", "gateway resident set size before connecting");
    report.figure("gateway_rss_after", mib(after.rssBytes()), "MiB", "gateway resident set size holding the sessions");
    report.figure("gateway_heap_before", mib(before.heapUsedBytes()), "MiB", "gateway JVM heap in use before connecting");
    report.figure("gateway_heap_after", mib(after.heapUsedBytes()), "MiB", "gateway JVM heap in use holding the sessions");
    report.figure("gateway_rss_per_session", kib((after.rssBytes() - before.rssBytes()) / sessions), "KiB",
        "(RSS after - RSS before) / sessions open; the process's own memory (kernel socket buffers are not in RSS)");
    report.figure("gateway_heap_per_session", kib((after.heapUsedBytes() - before.heapUsedBytes()) / sessions), "KiB",
        "(heap in use after - before) / sessions open" + (collected ? ", both read right after a full GC" : ""));
    if (!collected) {
      report.note("the gateway's pid is unknown (use --spawn or --gateway-pid): no GC was forced before the memory "
          + "readings, so the heap figure includes garbage");
    }
    report.latency("handshake", s.handshakeLatency.total(), "from opening the TCP connection to the session record "
        + "opened and checked: TCP connect, HTTP upgrade (registry lookup), client_hello, server_hello, client_auth, "
        + "session record");
    report.extra("ramp_cpu_seconds", java.util.Map.of("machine", rampUsage.machine(), "bench", rampUsage.bench(),
        "gateway", rampUsage.gateway(), "wall", rampUsage.seconds()));
    report.extra("failures_by_reason", FleetStats.snapshot(s.failures));
    report.extra("sessions_lost_by_close_code", FleetStats.snapshot(s.lost));
    return reached && minOpen == agents ? 0 : 1;
  }

  static double mib(double bytes) {
    return Harness.round(bytes / (1024.0 * 1024.0));
  }

  static double kib(double bytes) {
    return Harness.round(bytes / 1024.0);
  }
}
