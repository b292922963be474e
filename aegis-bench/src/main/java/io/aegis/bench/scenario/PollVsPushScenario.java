package io.aegis.bench.scenario;

import io.aegis.bench.DurationConverter;
import io.aegis.bench.Harness;
import io.aegis.bench.agent.AgentFleet;
import io.aegis.bench.agent.AgentIdentity;
import io.aegis.bench.agent.Backoff;
import io.aegis.bench.agent.BenchPayload;
import io.aegis.bench.agent.PollingAgents;
import io.aegis.bench.report.CpuMeter;
import io.aegis.bench.report.LatencyRecorder;
import io.aegis.bench.report.LoadDriver;
import io.aegis.bench.report.RateMeter;
import io.aegis.bench.report.Report;
import io.vertx.core.Future;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code poll-vs-push}: the same message flow — an operator publishes artifacts
 * ({@code POST /api/v1/artifacts}, each targeted at one agent, round-robin, carrying its publish
 * time in its metadata) — first to agents on the Phase 1-2 HTTP polling API (session tokens from
 * {@code POST /api/v1/auth}, {@code GET /api/v1/agents/{id}/artifacts?since=} every
 * {@code --poll-interval}), then to the same agents holding WebSocket sessions, where the gateway
 * pushes each artifact as a signed {@code event} on channel {@code artifacts}. Reports, side by
 * side, the latency from publish to the agent having the artifact, and the gateway's CPU per
 * artifact delivered (all of the gateway's CPU over the phase, polling overhead included). A first
 * phase publishes the same way with no agent listening: what publishing alone costs, which both
 * paths pay; subtracted from each, it leaves the cost of delivering.
 */
@Command(name = "poll-vs-push", mixinStandardHelpOptions = true,
    description = "The same artifact flow through HTTP polling and through WebSocket push: latency and gateway CPU "
        + "per message, side by side.")
public final class PollVsPushScenario extends ScenarioCommand {
  @Option(names = "--agents", defaultValue = "100", description = "Agents (default ${DEFAULT-VALUE}).")
  int agents;

  @Option(names = "--poll-interval", defaultValue = "5s", converter = DurationConverter.class,
      description = "How often each polling agent polls (default ${DEFAULT-VALUE}).")
  Duration pollInterval;

  @Option(names = "--rate", defaultValue = "10", description = "Artifacts published per second (default ${DEFAULT-VALUE}).")
  double rate;

  @Option(names = "--duration", defaultValue = "60s", converter = DurationConverter.class,
      description = "Publishing time per phase (default ${DEFAULT-VALUE}).")
  Duration duration;

  @Option(names = "--warmup", defaultValue = "20s", converter = DurationConverter.class,
      description = "Publishing before the first phase, not measured, so that the gateway's JIT has compiled the "
          + "publish path before publishing alone is measured; 0s for none (default ${DEFAULT-VALUE}).")
  Duration warmup;

  @Option(names = "--size", defaultValue = "256", description = "Artifact content size in bytes (default ${DEFAULT-VALUE}).")
  int size;

  @Override
  String name() {
    return "poll-vs-push";
  }

  /** One phase's results. */
  record Phase(String name, long published, long received, double seconds, double gatewayCpuSeconds, long polls,
               Histogram latency) {
    double cpuPerMessageUs() {
      return received == 0 ? -1 : gatewayCpuSeconds * 1e6 / received;
    }
  }

  @Override
  int run(Harness h) throws Exception {
    Report report = h.report();
    report.parameter("agents", agents).parameter("poll_interval", pollInterval.toMillis() + " ms")
        .parameter("rate", rate + "/s").parameter("duration", duration.toSeconds() + " s")
        .parameter("warmup", warmup.toSeconds() + " s").parameter("size", size + " B");
    List<AgentIdentity> ids = h.agents(agents);
    Publisher publisher = new Publisher(h, ids, size);

    // Phase 0: publishing alone (nobody polls or listens), the cost both paths share; after a
    // warm-up, or the JIT's compilation of a fresh gateway is most of what it measures.
    long[] noStart = {Long.MAX_VALUE};
    if (!warmup.isZero()) {
      phase(h, "warm-up", publisher, publisher.accepted, new LatencyRecorder("warm-up"), noStart, new LongAdder(),
          false, warmup);
    }
    Phase publishOnly = phase(h, "publish-only", publisher, publisher.accepted, new LatencyRecorder("publish-only"),
        noStart, new LongAdder(), false, duration);

    // Phase 1: HTTP polling.
    PollingAgents polling = new PollingAgents(h.vertx(), h.api(), ids);
    h.progress().say("polling agents authenticate (POST /api/v1/auth)");
    polling.authenticate();
    polling.catchUp();
    LatencyRecorder pollLatency = new LatencyRecorder("poll");
    LongAdder pollReceived = new LongAdder();
    long[] phaseStart = {System.nanoTime()};
    polling.start(pollInterval, (item, now) -> {
      long t = item.path("metadata").path("bench_t").asLong(-1);
      if (t >= phaseStart[0]) {
        pollReceived.increment();
        pollLatency.record(now - t);
      }
    });
    Thread.sleep(pollInterval.toMillis()); // every agent has started polling
    Phase poll = phase(h, "poll", publisher, pollReceived, pollLatency, phaseStart, polling.polls, true, duration);
    polling.close();

    // Phase 2: WebSocket push, same agents, same publisher. Nothing counts until the phase starts.
    phaseStart[0] = Long.MAX_VALUE;
    AgentFleet fleet = h.fleet(ids, new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30)), true);
    LatencyRecorder pushLatency = new LatencyRecorder("push");
    LongAdder pushReceived = new LongAdder();
    LongAdder anyArtifact = new LongAdder();
    fleet.listener((agent, r, now) -> {
      if (!r.channel().equals("artifacts")) {
        return;
      }
      anyArtifact.increment();
      long t = BenchPayload.timestamp(r.body());
      if (t >= phaseStart[0]) {
        pushReceived.increment();
        pushLatency.record(now - t);
      }
    });
    h.progress().phase("connect", () -> "open " + fleet.stats().open.get() + "/" + agents);
    fleet.connectAll(0, 256);
    fleet.awaitOpen(agents, Duration.ofMinutes(5));
    // On connect the gateway pushes the artifacts of phase 1 (catch-up); let that settle first.
    long quietSince = System.nanoTime();
    long seen = -1;
    while (System.nanoTime() - quietSince < 2_000_000_000L) {
      if (anyArtifact.sum() != seen) {
        seen = anyArtifact.sum();
        quietSince = System.nanoTime();
      }
      Thread.sleep(100);
    }
    Phase push = phase(h, "push", publisher, pushReceived, pushLatency, phaseStart, new LongAdder(), true, duration);
    fleet.closeAll();

    for (Phase p : List.of(poll, push)) {
      String n = p.name();
      report.figure(n + "_published", p.published(), "artifacts", n + " phase: artifacts published (2xx)");
      report.figure(n + "_received", p.received(), "artifacts", n + " phase: artifacts that reached their agent");
      report.figure(n + "_latency_p50", ms(p.latency().getValueAtPercentile(50)), "ms",
          n + " phase: median from the publish request's scheduled start to the agent having the artifact");
      report.figure(n + "_latency_p99", ms(p.latency().getValueAtPercentile(99)), "ms", n + " phase: 99th percentile of the same");
      report.figure(n + "_gateway_cpu_ms_per_message", Harness.round(p.cpuPerMessageUs() / 1000), "ms",
          n + " phase: all gateway CPU over the phase (publishing, " + (n.equals("poll") ? "every poll" : "push, acks,"
              + " heartbeats") + ") / artifacts received");
    }
    report.figure("poll_requests_per_second", Harness.round(poll.polls() / poll.seconds()), "1/s",
        "HTTP polls the gateway answered per second in the poll phase");
    report.figure("latency_ratio_p50", Harness.round(ms(poll.latency().getValueAtPercentile(50))
        / Math.max(1e-3, ms(push.latency().getValueAtPercentile(50)))), "x", "poll median latency / push median latency");
    report.figure("cpu_ratio_per_message", Harness.round(poll.cpuPerMessageUs() / Math.max(1e-9, push.cpuPerMessageUs())),
        "x", "poll gateway CPU per message / push gateway CPU per message");
    double publishUs = publishOnly.gatewayCpuSeconds() * 1e6 / Math.max(1, publishOnly.published());
    report.figure("publish_only_gateway_cpu_ms_per_message", Harness.round(publishUs / 1000), "ms",
        "publish-only phase: gateway CPU per artifact published with no agent polling or connected");
    double pollNet = poll.cpuPerMessageUs() - publishUs;
    double pushNet = push.cpuPerMessageUs() - publishUs;
    report.figure("poll_delivery_cpu_ms_per_message", Harness.round(pollNet / 1000), "ms",
        "poll phase CPU per message minus the publish-only figure: what delivering by polling costs");
    report.figure("push_delivery_cpu_ms_per_message", Harness.round(pushNet / 1000), "ms",
        "push phase CPU per message minus the publish-only figure: what delivering by push costs, "
            + "holding the sessions included");
    // Polling costs per poll, whether or not the poll finds anything; push costs per artifact.
    double pollingSeconds = poll.gatewayCpuSeconds() - publishUs / 1e6 * poll.published();
    report.figure("poll_gateway_cpu_us_per_poll", Harness.round(pollingSeconds * 1e6 / Math.max(1, poll.polls())), "us",
        "poll phase: gateway CPU minus its publications' share (the publish-only figure) / polls answered: what one "
            + "poll costs the gateway, found or not");
    report.figure("delivery_cpu_ratio_per_message", Harness.round(pollNet / Math.max(1e-9, pushNet)), "x",
        "poll delivery CPU per message / push delivery CPU per message");
    report.latency("poll", poll.latency(), "publish (scheduled start) to the agent's poll answer containing it");
    report.latency("push", push.latency(), "publish (scheduled start) to the agent having the pushed record decrypted "
        + "and verified");
    return poll.received() >= poll.published() && push.received() >= push.published() ? 0 : 1;
  }

  /**
   * Publishes for {@code length} and waits for what was published to be received (or, when
   * {@code delivered} is false, only for the publish requests to complete).
   */
  private Phase phase(Harness h, String name, Publisher publisher, LongAdder received, LatencyRecorder latency,
                      long[] phaseStart, LongAdder polls, boolean delivered, Duration length)
      throws InterruptedException {
    if (delivered) {
      phaseStart[0] = System.nanoTime();
    }
    long polls0 = polls.sum();
    long published0 = publisher.accepted.sum();
    long received0 = received.sum(); // publishing alone counts what was accepted, since the start
    CpuMeter cpu = new CpuMeter(h.probe().pid());
    LoadDriver driver = new LoadDriver(h.vertx(), rate, 64, (seq, scheduled) -> publisher.publish(name, seq, scheduled));
    RateMeter rec = new RateMeter(received::sum);
    h.progress().phase(name, () -> String.format("published %d  received %d (%.0f/s)  %s",
        publisher.accepted.sum() - published0, received.sum() - received0, rec.sample(),
        LatencyRecorder.brief(latency.interval())));
    driver.start();
    Thread.sleep(length.toMillis());
    driver.stop();
    // Whatever was published is received within one poll interval (or at once, pushed).
    long deadline = System.nanoTime() + pollInterval.toNanos() + Duration.ofSeconds(10).toNanos();
    while ((driver.inFlight() > 0 || delivered && received.sum() - received0 < publisher.accepted.sum() - published0)
        && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    CpuMeter.Usage u = cpu.stop();
    h.progress().say(name + " phase: " + (received.sum() - received0) + " of " + (publisher.accepted.sum() - published0)
        + " received");
    return new Phase(name, publisher.accepted.sum() - published0, received.sum() - received0, u.seconds(), u.gateway(),
        polls.sum() - polls0, latency.total().copy());
  }

  private static double ms(long micros) {
    return micros / 1000.0;
  }

  /** Publishes artifacts targeted at one agent each, round-robin; thread-safe. */
  static final class Publisher {
    final LongAdder accepted = new LongAdder();
    final LongAdder refused = new LongAdder();
    private final Harness h;
    private final List<AgentIdentity> agents;
    private final String content;
    private final String sha256;
    private final int size;
    private final String run = Long.toString(System.currentTimeMillis(), 36);

    Publisher(Harness h, List<AgentIdentity> agents, int size) throws Exception {
      this.h = h;
      this.agents = agents;
      this.size = size;
      byte[] bytes = new byte[size];
      java.util.Arrays.fill(bytes, (byte) 'x');
      this.content = Base64.getEncoder().encodeToString(bytes);
      this.sha256 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    Future<?> publish(String phase, long seq, long scheduled) {
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("name", "bench-" + run + "-" + phase + "-" + seq);
      body.put("version", "1");
      body.put("sha256", sha256);
      body.put("size", size);
      body.put("content", content);
      body.put("target", Map.of("agent_ids", List.of(agents.get((int) (seq % agents.size())).agentId())));
      body.put("metadata", Map.of("bench_t", scheduled));
      return h.api().post("/api/v1/artifacts", body).andThen(ar -> {
        if (ar.succeeded() && ar.result().ok()) {
          accepted.increment();
        } else {
          refused.increment();
        }
      });
    }
  }
}
