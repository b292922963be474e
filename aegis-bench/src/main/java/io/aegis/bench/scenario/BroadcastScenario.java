package io.aegis.bench.scenario;

import com.fasterxml.jackson.databind.JsonNode;
import io.aegis.bench.BenchException;
import io.aegis.bench.DurationConverter;
import io.aegis.bench.Harness;
import io.aegis.bench.agent.AgentFleet;
import io.aegis.bench.agent.FleetStats;
import io.aegis.bench.gateway.GatewayClient;
import io.aegis.bench.report.LatencyRecorder;
import io.aegis.bench.report.Report;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code broadcast}: one broadcast of S bytes ({@code POST /api/v1/agents/broadcast}, targeted at
 * the bench's agents by their label {@code bench=<prefix>}) to N connected agents; measures the
 * time to the last delivery (the last agent decrypted and verified it) and to the last
 * acknowledgement (the gateway's record shows every recipient delivered). Repeated
 * {@code --repeat} times after {@code --warmup} unmeasured broadcasts; the figures are medians.
 */
@Command(name = "broadcast", mixinStandardHelpOptions = true,
    description = "One broadcast of S bytes to N connected agents: time to the last delivery and to the last "
        + "acknowledgement (median of --repeat).")
public final class BroadcastScenario extends ScenarioCommand {
  @Option(names = "--agents", defaultValue = "1000", description = "Connected agents (default ${DEFAULT-VALUE}).")
  int agents;

  @Option(names = "--size", defaultValue = "1024", description = "Message size in bytes of JSON (default ${DEFAULT-VALUE}).")
  int size;

  @Option(names = "--repeat", defaultValue = "3", description = "Measured broadcasts (default ${DEFAULT-VALUE}).")
  int repeat;

  @Option(names = "--warmup", defaultValue = "1", description = "Unmeasured broadcasts first (default ${DEFAULT-VALUE}).")
  int warmup;

  @Option(names = "--message-type", defaultValue = "event", description = "message_type (default ${DEFAULT-VALUE}).")
  String messageType;

  @Option(names = "--channel", defaultValue = "bench", description = "Channel (default ${DEFAULT-VALUE}).")
  String channel;

  @Option(names = "--timeout", defaultValue = "120s", converter = DurationConverter.class,
      description = "Longest wait for one broadcast's deliveries and acks (default ${DEFAULT-VALUE}).")
  Duration timeout;

  @Option(names = "--max-in-flight", defaultValue = "256", description = "Connection attempts at once while the "
      + "agents connect (default ${DEFAULT-VALUE}).")
  int maxInFlight;

  @Override
  String name() {
    return "broadcast";
  }

  @Override
  int run(Harness h) throws Exception {
    Report report = h.report();
    report.parameter("agents", agents).parameter("size", size + " B").parameter("repeat", repeat)
        .parameter("warmup_broadcasts", warmup).parameter("message_type", messageType);
    AgentFleet fleet = connectFleet(h, agents, maxInFlight);
    FleetStats s = fleet.stats();
    BroadcastWorkload w = new BroadcastWorkload();
    fleet.listener((agent, r, now) -> {
      if (r.channel().equals(channel)) {
        w.received(r.body(), now);
      }
    });
    List<BroadcastWorkload.Run> runs = w.run(h, "aegis", size, warmup, repeat, timeout, h.probe().pid(),
        aegisCaster(h, channel, messageType, options.prefix));
    LatencyRecorder perAgent = w.perAgent;
    report.figure("recipients", runs.get(0).recipients(), "agents", "agents the gateway addressed (the broadcast's sent_to + queued)");
    report.figure("agents_reached_min", runs.stream().mapToInt(BroadcastWorkload.Run::reached).min().orElse(0), "agents",
        "fewest agents that received a measured broadcast");
    report.figure("accepted_ms", BroadcastWorkload.median(runs, BroadcastWorkload.Run::acceptedMs), "ms", "median: from the request's start to its 2xx "
        + "answer (every recipient's row committed; deliveries may already be under way)");
    report.figure("first_delivery_ms", BroadcastWorkload.median(runs, BroadcastWorkload.Run::firstDeliveryMs), "ms",
        "median: from the request's start to the first agent having the message decrypted and verified");
    report.figure("last_delivery_ms", BroadcastWorkload.median(runs, BroadcastWorkload.Run::lastDeliveryMs), "ms",
        "median: from the request's start to the LAST agent having it decrypted and verified (-1: not all did)");
    report.figure("last_ack_ms", BroadcastWorkload.median(runs, BroadcastWorkload.Run::lastAckMs), "ms", "median: from the request's start until GET "
        + "/api/v1/messages/{id} showed every recipient delivered (polled every 50 ms; -1: not within --timeout)");
    report.figure("gateway_cpu_seconds_per_broadcast", BroadcastWorkload.median(runs, BroadcastWorkload.Run::gatewayCpuSeconds), "s",
        "median gateway CPU from the request to the last ack");
    report.latency("delivery_per_agent", perAgent.total(), "measured broadcasts: from the request's start to each "
        + "agent having the message decrypted and verified");
    report.extra("runs", runs);
    report.extra("agent_refusals_by_reason", FleetStats.snapshot(s.refused));
    fleet.closeAll();
    return runs.stream().allMatch(r -> r.reached() >= r.recipients() && r.lastAckMs() >= 0) ? 0 : 1;
  }

  /** Broadcasts through {@code POST /api/v1/agents/broadcast} to the agents labelled {@code bench=<prefix>}. */
  static BroadcastWorkload.Caster aegisCaster(Harness h, String channel, String messageType, String prefix) {
    return new BroadcastWorkload.Caster() {
      @Override
      public Object[] cast(String payload, long t0) throws Exception {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("channel", channel);
        body.put("message_type", messageType);
        body.put("target", Map.of("labels", Map.of("bench", prefix)));
        body.put("message", GatewayClient.MAPPER.readTree(payload));
        GatewayClient.Response resp = GatewayClient.await(h.api().post("/api/v1/agents/broadcast", body), 120,
            "POST /api/v1/agents/broadcast");
        double acceptedMs = (System.nanoTime() - t0) / 1e6;
        if (!resp.ok()) {
          throw new BenchException("broadcast refused: HTTP " + resp.status() + " " + resp.text());
        }
        JsonNode answer = resp.json();
        int recipients = answer.path("counts").path("sent_to").asInt() + answer.path("counts").path("queued").asInt();
        return new Object[] {acceptedMs, recipients, answer.path("message_id").asText()};
      }

      @Override
      public double awaitAcks(Object id, int recipients, long t0, long deadline) throws Exception {
        return BroadcastScenario.awaitAcks(h, (String) id, recipients, t0, deadline);
      }
    };
  }

  /** Polls the broadcast's record until every recipient shows delivered; ms from t0, or -1. */
  private static double awaitAcks(Harness h, String id, int recipients, long t0, long deadline) throws InterruptedException {
    while (System.nanoTime() < deadline) {
      GatewayClient.Response r = GatewayClient.await(h.api().get("/api/v1/messages/" + id), 30, "GET /api/v1/messages");
      if (r.ok() && r.json().path("recipients").path("delivered").asLong() >= recipients) {
        return (System.nanoTime() - t0) / 1e6;
      }
      Thread.sleep(50);
    }
    return -1;
  }
}
