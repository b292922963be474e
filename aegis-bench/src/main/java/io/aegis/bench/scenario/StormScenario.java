package io.aegis.bench.scenario;

import io.aegis.bench.DurationConverter;
import io.aegis.bench.Harness;
import io.aegis.bench.agent.AgentFleet;
import io.aegis.bench.agent.AgentIdentity;
import io.aegis.bench.agent.Backoff;
import io.aegis.bench.agent.FleetStats;
import io.aegis.bench.agent.SimulatedAgent;
import io.aegis.bench.report.CpuMeter;
import io.aegis.bench.report.LatencyRecorder;
import io.aegis.bench.report.RateMeter;
import io.aegis.bench.report.Report;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code storm}: N agents connect; then every connection is dropped at once the way a network
 * failure or a crashed agent drops it (TCP reset, no WebSocket close frame) and every agent
 * reconnects at once, either immediately ({@code --jitter none}) or as the agent SDK does
 * (first attempt after a uniform random delay in [0, base), failed attempts after exponential
 * backoff with full jitter). Measures the time until every agent has a session again.
 *
 * <p>In a spawned cluster, {@code --kill-node} or {@code --drain-node} loses one node instead (the
 * last: its 1/N of the agents), the way a deployment loses one: {@code kill -9}, or a drain. The
 * fleet then sends that node's agents to the others, as a load balancer does once its health check
 * fails, and the storm measures the time until all of them have sessions there (and, with
 * {@code --queued}, until the messages queued for them after the loss have arrived).
 */
@Command(name = "storm", mixinStandardHelpOptions = true,
    description = "Connect N agents, drop every connection at once (TCP reset), reconnect them all; report the time "
        + "until all are back.")
public final class StormScenario extends ScenarioCommand {
  @Option(names = "--agents", defaultValue = "1000", description = "Agents (default ${DEFAULT-VALUE}).")
  int agents;

  @Option(names = "--jitter", defaultValue = "sdk", description = "Reconnect timing: sdk (full jitter, see --backoff-base "
      + "and --backoff-cap; the default) or none (every agent reconnects at the same instant).")
  String jitter;

  @Option(names = "--backoff-base", defaultValue = "1s", converter = DurationConverter.class,
      description = "First reconnect waits uniform [0, base); each failure doubles the bound (default ${DEFAULT-VALUE}).")
  Duration backoffBase;

  @Option(names = "--backoff-cap", defaultValue = "60s", converter = DurationConverter.class,
      description = "Largest backoff bound (default ${DEFAULT-VALUE}).")
  Duration backoffCap;

  @Option(names = "--max-in-flight", defaultValue = "256", description = "Attempts in progress at once during the "
      + "initial connect (default ${DEFAULT-VALUE}); the storm itself is unbounded.")
  int maxInFlight;

  @Option(names = "--queued", defaultValue = "0", description = "Messages queued for each agent while it is offline "
      + "(sent through the REST API after the drop, before the reconnect); the storm then also waits until every one "
      + "has arrived (default ${DEFAULT-VALUE}).")
  int queued;

  @Option(names = "--size", defaultValue = "256", description = "Size of each queued message (default ${DEFAULT-VALUE}).")
  int size;

  @Option(names = "--kill-node", description = "With --spawn-nodes: kill -9 the last node instead of dropping every "
      + "connection; its agents reconnect to the other nodes. Reports the time until they are all back.")
  boolean killNode;

  @Option(names = "--drain-node", description = "With --spawn-nodes: drain the last node (POST /api/v1/nodes/{id}/drain) "
      + "instead of dropping every connection. Reports the time until its agents have sessions on the other nodes.")
  boolean drainNode;

  @Option(names = "--timeout", defaultValue = "10m", converter = DurationConverter.class,
      description = "Give up waiting for the fleet after this long (default ${DEFAULT-VALUE}).")
  Duration timeout;

  @Override
  String name() {
    return "storm";
  }

  @Override
  int run(Harness h) throws Exception {
    boolean none = jitter.equals("none");
    if (!none && !jitter.equals("sdk")) {
      throw new io.aegis.bench.BenchException("--jitter must be sdk or none, was " + jitter);
    }
    Backoff backoff = new Backoff(backoffBase, backoffCap);
    Report report = h.report();
    report.parameter("agents", agents).parameter("jitter", none ? "none (first reconnect immediate)" : "sdk")
        .parameter("backoff", backoff.toString()).parameter("queued_per_agent", queued);
    List<AgentIdentity> ids = h.agents(agents);
    AgentFleet fleet = h.fleet(ids, backoff, true);
    FleetStats s = fleet.stats();

    // 1. Every agent connects.
    h.progress().phase("connect", () -> String.format("open %d/%d  in flight %d  failed %d (%s)", s.open.get(), agents,
        s.inFlight.get(), s.failureCount(), FleetStats.brief(s.failures)));
    fleet.connectAll(0, maxInFlight);
    if (!fleet.awaitOpen(agents, timeout)) {
      throw new io.aegis.bench.BenchException("only " + s.open.get() + " of " + agents + " agents connected");
    }
    Thread.sleep(1000);
    if (killNode || drainNode) {
      return loseANode(h, fleet, report);
    }
    h.progress().say("all " + agents + " connected; dropping every connection");

    // 2. Drop them all; with --queued, queue messages for the offline agents first.
    LatencyRecorder back = new LatencyRecorder("reconnect");
    AtomicInteger reopened = new AtomicInteger();
    AtomicLong lastOpen = new AtomicLong();
    SendMeter queue = new SendMeter();
    AtomicLong lastMessage = new AtomicLong();
    countQueued(fleet, queue, lastMessage);
    long[] t0 = {Long.MAX_VALUE};
    fleet.events(new AgentFleet.Events() {
      @Override
      public void onOpen(SimulatedAgent agent, long handshakeNanos) {
        long now = System.nanoTime();
        if (now >= t0[0]) {
          back.record(now - t0[0]);
          reopened.incrementAndGet();
          lastOpen.accumulateAndGet(now, Math::max);
        }
      }
    });
    long total = (long) queued * agents;
    if (queued > 0) {
      for (SimulatedAgent a : fleet.agents()) {
        a.abort();
      }
      awaitGatewaySessions(h, 0, Duration.ofSeconds(60));
      h.progress().say("all dropped; queueing " + total + " messages for the offline agents");
      fill(h, fleet.agents(), queue, total, size);
    }
    double dropSeconds = 0;
    if (queued == 0) {
      // Reset every connection, and let the descriptors go before reconnecting: each side may hold
      // only its open-file limit, and N old plus N new sockets would not fit.
      long d0 = System.nanoTime();
      for (SimulatedAgent a : fleet.agents()) {
        a.abort();
      }
      while ((s.open.get() > 0 || s.closing.get() > 0) && System.nanoTime() - d0 < 30_000_000_000L) {
        Thread.sleep(1);
      }
      dropSeconds = (System.nanoTime() - d0) / 1e9;
    }
    long attempts0 = s.attempts.sum();
    long failures0 = s.failureCount();
    fleet.launcher().configure(0, 0);
    CpuMeter cpu = new CpuMeter(h.probe().pid());
    t0[0] = System.nanoTime();
    for (SimulatedAgent a : fleet.agents()) {
      fleet.launcher().submitLater(a, none ? 0 : backoff.delayMillis(0));
    }
    RateMeter rate = new RateMeter(reopened::get);
    h.progress().phase("storm", () -> String.format("back %d/%d  %.0f/s  in flight %d  queued %d  failed %d (%s)",
        reopened.get(), agents, rate.sample(), s.inFlight.get(), fleet.launcher().queued(), s.failureCount() - failures0,
        FleetStats.brief(s.failures)));
    GatewayWatch watch = new GatewayWatch(h.probe(), agents, t0[0]);
    watch.start();
    long deadline = t0[0] + timeout.toNanos();
    while ((reopened.get() < agents || queue.received.sum() < queue.accepted.sum()) && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    boolean recovered = reopened.get() >= agents;
    boolean drained = queue.received.sum() >= queue.accepted.sum();
    double allBack = recovered ? (lastOpen.get() - t0[0]) / 1e9 : -1;
    double drainedAt = queued == 0 ? 0 : drained ? (lastMessage.get() - t0[0]) / 1e9 : -1;
    CpuMeter.Usage usage = cpu.stop();
    watch.awaitFull(Duration.ofSeconds(30));
    watch.stop();
    h.progress().say(recovered ? String.format("all %d back after %.2f s", agents, allBack)
        : "only " + reopened.get() + " of " + agents + " back after " + timeout.toSeconds() + " s");
    fleet.closeAll();

    report.figure("recovered", recovered ? "yes" : "no", "", "every agent had a session again before --timeout");
    report.figure("time_to_all_back", Harness.round(allBack), "s",
        "from the start of the reconnect (= the drop, without --queued) to the last agent's session record opened; -1 if "
            + "not all came back");
    if (queued > 0) {
      report.figure("messages_queued", queue.accepted.sum(), "messages", "messages accepted for the offline agents");
      report.figure("time_to_queue_drained", Harness.round(drainedAt), "s", "from the start of the reconnect to the last "
          + "queued message received (decrypted and verified) by its agent; -1 if not all arrived before --timeout");
      report.figure("messages_received", queue.received.sum(), "messages", "queued messages the agents received");
    }
    report.figure("drop_seconds", Harness.round(dropSeconds), "s", "time to reset every connection on this side "
        + "(SO_LINGER 0, close) before the reconnect starts");
    report.figure("agents_back", reopened.get(), "agents", "agents with a new session");
    report.figure("gateway_min_sessions_seen", (long) watch.minSeen(), "sessions",
        "fewest aegis_sessions_open the gateway reported during the storm (250 ms samples): how many drops it noticed");
    report.figure("gateway_time_to_all_sessions", Harness.round(watch.fullAfterSeconds()), "s",
        "from the drop until the gateway itself reported N sessions open (250 ms samples; -1 if never)");
    report.figure("reconnect_attempts", s.attempts.sum() - attempts0, "attempts", "connection attempts during the storm");
    report.figure("failed_attempts", s.failureCount() - failures0, "attempts",
        "storm attempts that failed (by reason in the JSON) and were retried after backoff");
    report.figure("handshakes_per_second_storm", Harness.round(agents / Math.max(1e-9, allBack)), "1/s",
        "N / time_to_all_back");
    report.figure("handshakes_per_second_peak", Harness.round(rate.peak()), "1/s", "most sessions re-opened in one second");
    if (usage.gateway() >= 0) {
      report.figure("gateway_cpu_seconds", Harness.round(usage.gateway()), "s", "gateway CPU during the storm");
    }
    report.figure("other_processes_cpu", Harness.round(usage.others() / Math.max(1e-9, usage.seconds())), "CPUs",
        "average CPUs used by other processes on the machine during the storm");
    report.latency("reconnect", back.total(), "per agent: from the start of the reconnect to its new session record opened (jitter "
        + "delay, retries and handshake included)");
    report.extra("failures_by_reason", FleetStats.snapshot(s.failures));
    return recovered && drained ? 0 : 1;
  }

  /**
   * Loses the last node of a spawned cluster ({@code kill -9} or a drain) with its agents
   * connected, and measures how long until every one of them has a session on another node.
   */
  private int loseANode(Harness h, AgentFleet fleet, Report report) throws Exception {
    List<io.aegis.bench.gateway.GatewayProcess> nodes = h.clusterNodes();
    if (nodes.size() < 2 || killNode && drainNode) {
      throw new io.aegis.bench.BenchException("--kill-node or --drain-node (one of them) needs --spawn-nodes 2 or more");
    }
    if (h.options().sameNode) {
      throw new io.aegis.bench.BenchException("--same-node would send to the lost node's agents through the lost node");
    }
    int victim = nodes.size() - 1;
    io.aegis.bench.gateway.GatewayProcess lost = nodes.get(victim);
    List<SimulatedAgent> moved = fleet.agents().stream().filter(a -> fleet.homeOf(a.index()) == victim).toList();
    java.util.Set<SimulatedAgent> away = java.util.concurrent.ConcurrentHashMap.newKeySet();
    away.addAll(moved);
    report.parameter("lost_node", lost.nodeId() + (killNode ? " (kill -9)" : " (drain)"))
        .parameter("agents_on_lost_node", moved.size());
    LatencyRecorder back = new LatencyRecorder("reconnect");
    AtomicLong lastOpen = new AtomicLong();
    AtomicLong lastMessage = new AtomicLong();
    SendMeter queue = new SendMeter();
    long[] t0 = {Long.MAX_VALUE};
    countQueued(fleet, queue, lastMessage);
    fleet.events(new AgentFleet.Events() {
      @Override
      public void onOpen(SimulatedAgent agent, long handshakeNanos) {
        long now = System.nanoTime();
        if (now >= t0[0] && away.remove(agent)) {
          back.record(now - t0[0]);
          lastOpen.accumulateAndGet(now, Math::max);
        }
      }
    });
    FleetStats s = fleet.stats();
    long attempts0 = s.attempts.sum();
    long failures0 = s.failureCount();
    CpuMeter cpu = new CpuMeter(nodes.subList(0, victim).stream().map(io.aegis.bench.gateway.GatewayProcess::pid).toList());
    h.progress().say("all " + agents + " connected; " + (killNode ? "killing" : "draining") + " " + lost.nodeId()
        + " with " + moved.size() + " of them");
    t0[0] = System.nanoTime();
    fleet.markDown(victim); // the load balancer's health check takes the node out
    if (killNode) {
      lost.kill();
    } else {
      var answer = io.aegis.bench.gateway.GatewayClient.await(h.api().post("/api/v1/nodes/" + lost.nodeId() + "/drain",
          "{}"), 30, "POST /api/v1/nodes/" + lost.nodeId() + "/drain");
      if (answer.status() != 202) {
        throw new io.aegis.bench.BenchException("the drain was refused: HTTP " + answer.status() + " " + answer.text());
      }
    }
    long total = (long) queued * moved.size();
    if (total > 0) {
      fill(h, moved, queue, total, size);
    }
    h.progress().phase("failover", () -> String.format("back %d/%d  in flight %d  messages %d/%d  failed %d (%s)",
        moved.size() - away.size(), moved.size(), s.inFlight.get(), queue.received.sum(), queue.accepted.sum(),
        s.failureCount() - failures0, FleetStats.brief(s.failures)));
    long deadline = t0[0] + timeout.toNanos();
    while ((!away.isEmpty() || queue.received.sum() < queue.accepted.sum()) && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    boolean recovered = away.isEmpty();
    boolean delivered = queue.received.sum() >= queue.accepted.sum();
    double allBack = recovered ? (lastOpen.get() - t0[0]) / 1e9 : -1;
    CpuMeter.Usage usage = cpu.stop();
    h.progress().say(recovered ? String.format("all %d agents of %s back on the other nodes after %.2f s", moved.size(),
        lost.nodeId(), allBack) : (moved.size() - away.size()) + " of " + moved.size() + " back after " + timeout.toSeconds() + " s");
    fleet.closeAll();

    report.figure("recovered", recovered ? "yes" : "no", "", "every agent of the lost node had a session on another "
        + "node before --timeout");
    report.figure("time_to_all_back", Harness.round(allBack), "s", "from the " + (killNode ? "kill" : "drain request")
        + " to the last of the lost node's agents opening a session on another node; -1 if not all came back");
    if (total > 0) {
      report.figure("messages_queued", queue.accepted.sum(), "messages", "messages accepted, through node 0 after the "
          + "loss, for the lost node's agents");
      report.figure("time_to_queue_drained", Harness.round(delivered && queue.accepted.sum() > 0
          ? (lastMessage.get() - t0[0]) / 1e9 : -1), "s", "from the loss to the last queued message received; -1 if not "
          + "all arrived");
      report.figure("messages_received", queue.received.sum(), "messages", "queued messages the agents received");
    }
    report.figure("agents_back", moved.size() - away.size(), "agents", "the lost node's agents with a new session");
    report.figure("reconnect_attempts", s.attempts.sum() - attempts0, "attempts", "connection attempts since the loss");
    report.figure("failed_attempts", s.failureCount() - failures0, "attempts", "attempts since the loss that failed (by "
        + "reason in the JSON) and were retried after backoff");
    if (usage.gateway() >= 0) {
      report.figure("gateway_cpu_seconds", Harness.round(usage.gateway()), "s", "CPU of the surviving nodes meanwhile");
    }
    report.latency("reconnect", back.total(), "per agent of the lost node: from the loss to its session on another node "
        + "(backoff, retries and handshake included)");
    report.extra("failures_by_reason", FleetStats.snapshot(s.failures));
    return recovered && delivered ? 0 : 1;
  }

  /**
   * Sends {@code total} messages to {@code to}, round-robin, each with an idempotency key, 128 in
   * flight, through the node {@link Harness#apiFor} names (in a cluster, not the agent's own: for
   * the last node's agents that is node 0); waits for every answer.
   */
  private static void fill(Harness h, List<SimulatedAgent> to, SendMeter m, long total, int size)
      throws InterruptedException {
    String head = "{\"channel\":\"bench\",\"message_type\":\"event\",\"message\":";
    String run = Long.toHexString(System.nanoTime());
    io.aegis.bench.report.LoadDriver driver = new io.aegis.bench.report.LoadDriver(h.vertx(), 0, 128, (seq, scheduled) -> {
      if (seq >= total) {
        return io.vertx.core.Future.succeededFuture();
      }
      SimulatedAgent a = to.get((int) (seq % to.size()));
      return h.apiFor(a.index()).post("/api/v1/agents/" + a.agentId() + "/send",
          head + io.aegis.bench.agent.BenchPayload.create(size, scheduled) + "}",
          java.util.Map.of("Idempotency-Key", "storm-" + run + "-" + seq)).andThen(ar -> {
            if (ar.failed()) {
              m.refused(ar.cause().getClass().getSimpleName());
            } else if (!ar.result().ok()) {
              m.refused("http_" + ar.result().status());
            } else {
              m.accepted(scheduled);
            }
          });
    });
    h.progress().phase("queue", () -> "accepted " + m.accepted.sum() + "/" + total + ", refused " + m.refusedCount());
    driver.start();
    while (m.accepted.sum() + m.refusedCount() < total) {
      Thread.sleep(10);
    }
    driver.stop();
    if (m.refusedCount() > 0) {
      throw new io.aegis.bench.BenchException("the gateway refused " + m.refusedCount() + " queued sends: " + m.refused);
    }
  }

  /** Counts the queued messages ({@link #fill}) agents receive in {@code queue}, and when the last came. */
  private static void countQueued(AgentFleet fleet, SendMeter queue, AtomicLong lastMessage) {
    fleet.listener((agent, r, now) -> {
      if (r.channel().equals("bench")) {
        queue.received(r.body(), now);
        lastMessage.accumulateAndGet(now, Math::max);
      }
    });
  }

  private static void awaitGatewaySessions(Harness h, int target, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline && h.probe().read().sessionsOpen() > target) {
      Thread.sleep(100);
    }
  }
}
