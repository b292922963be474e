package io.aegis.bench.scenario;

import io.aegis.bench.DurationConverter;
import io.aegis.bench.Harness;
import io.aegis.bench.agent.AgentFleet;
import io.aegis.bench.agent.BenchPayload;
import io.aegis.bench.agent.FleetStats;
import io.aegis.bench.gateway.GatewayProbe;
import io.aegis.bench.gateway.PromHistogram;
import io.aegis.bench.report.CpuMeter;
import io.aegis.bench.report.Report;
import java.time.Duration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code send}: targeted sends through the REST API ({@code POST /api/v1/agents/{id}/send}, agents
 * round-robin) at a fixed rate or flat out, to N connected agents that decrypt, verify and
 * acknowledge each message. Measures accepted/s, delivered-and-acknowledged/s and end-to-end
 * latency; the message body carries its send time ({@link BenchPayload}).
 */
@Command(name = "send", mixinStandardHelpOptions = true,
    description = "Targeted sends through the REST API to N connected agents, at a fixed rate or flat out: accepted/s, "
        + "delivered-and-acknowledged/s, send-to-receive and send-to-ack latency.")
public final class SendScenario extends ScenarioCommand {
  @Option(names = "--agents", defaultValue = "100", description = "Connected agents (default ${DEFAULT-VALUE}).")
  int agents;

  @Option(names = "--rate", defaultValue = "0", description = "Sends per second; 0 = flat out (default), with "
      + "--concurrency requests in flight.")
  double rate;

  @Option(names = "--concurrency", defaultValue = "128", description = "Send requests in flight at most (default "
      + "${DEFAULT-VALUE}).")
  int concurrency;

  @Option(names = "--duration", defaultValue = "30s", converter = DurationConverter.class,
      description = "Measured sending time (default ${DEFAULT-VALUE}).")
  Duration duration;

  @Option(names = "--warmup", defaultValue = "5s", converter = DurationConverter.class,
      description = "Sending before the measurement starts (default ${DEFAULT-VALUE}).")
  Duration warmup;

  @Option(names = "--size", defaultValue = "256", description = "Message size: bytes of the JSON message (default "
      + "${DEFAULT-VALUE}).")
  int size;

  @Option(names = "--message-type", defaultValue = "event", description = "message_type of the sends: event "
      + "(default) or request.")
  String messageType;

  @Option(names = "--channel", defaultValue = "bench", description = "Channel of the sends (default ${DEFAULT-VALUE}).")
  String channel;

  @Option(names = "--sample-every", defaultValue = "200", description = "Follow one accepted send in K with GET "
      + "/api/v1/messages/{id} until it is delivered (default ${DEFAULT-VALUE}; 0 = none).")
  int sampleEvery;

  @Option(names = "--batch", defaultValue = "1", description = "Sends per request: 1 (default) posts each to "
      + "POST /api/v1/agents/{id}/send; N > 1 posts N at a time to POST /api/v1/messages (one group commit each). "
      + "--rate still counts messages.")
  int batch;

  @Option(names = "--idempotency-keys", defaultValue = "true", negatable = true, fallbackValue = "true",
      description = "Give every send an idempotency key, as a careful client does (default ${DEFAULT-VALUE}; "
          + "--no-idempotency-keys measures without the key's store write).")
  boolean idempotencyKeys;

  @Option(names = "--report-every", defaultValue = "0s", converter = DurationConverter.class,
      description = "During the measured window, print (and put in the JSON) every this long: sends, send-to-receive "
          + "percentiles, and the gateway's heap after a forced GC, RSS and open files; for soak runs (default off).")
  Duration reportEvery;

  @Option(names = "--max-in-flight", defaultValue = "256", description = "Connection attempts at once while the "
      + "agents connect (default ${DEFAULT-VALUE}).")
  int maxInFlight;

  @Override
  String name() {
    return "send";
  }

  @Override
  int run(Harness h) throws Exception {
    Report report = h.report();
    report.parameter("agents", agents).parameter("rate", rate == 0 ? "flat out" : rate + "/s")
        .parameter("concurrency", concurrency).parameter("duration", duration.toSeconds() + " s")
        .parameter("warmup", warmup.toSeconds() + " s").parameter("size", size + " B")
        .parameter("message_type", messageType).parameter("http_connections", options.httpConnections)
        .parameter("batch", batch).parameter("idempotency_keys", idempotencyKeys);
    if (batch < 1 || batch > 1000) {
      throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this), "--batch must be 1 to 1000");
    }
    AgentFleet fleet = connectFleet(h, agents, maxInFlight);
    FleetStats s = fleet.stats();
    SendMeter m = new SendMeter();
    fleet.listener((agent, r, now) -> {
      if (r.type().equals("error")) {
        m.errors.increment();
      } else if (r.channel().equals(channel)) {
        m.received(r.body(), now);
      }
    });
    GatewayProbe.Reading[] readings = new GatewayProbe.Reading[2];
    IntervalReport[] intervals = new IntervalReport[1];
    double requestRate = rate > 0 && batch > 1 ? rate / batch : rate;
    SendWorkload.Result result = new SendWorkload(requestRate, concurrency, warmup, duration).run(h, "send", m,
        batch > 1 ? batchSender(h, fleet, m, channel, messageType, size, batch, idempotencyKeys)
            : aegisSender(h, fleet, m, channel, messageType, size, sampleEvery, idempotencyKeys),
        () -> {
          readings[0] = h.probe().read();
          if (!reportEvery.isZero()) {
            intervals[0] = new IntervalReport(h, m, reportEvery);
            intervals[0].start();
          }
        }, () -> {
          if (intervals[0] != null) {
            intervals[0].close();
          }
          readings[1] = h.probe().read();
        });
    GatewayProbe.Reading before = readings[0];
    GatewayProbe.Reading after = readings[1];
    CpuMeter.Usage usage = result.usage();
    double drainSeconds = result.drainSeconds();
    long started = result.started();

    double secs = m.measuredSeconds();
    report.figure("sends_accepted_per_second", Harness.round(m.acceptedInWindow.sum() / secs), "1/s",
        "sends answered 2xx (committed to the durable queue) during the measured window, per second");
    report.figure("delivered_acked_per_second", Harness.round(m.receivedInWindow.sum() / secs), "1/s",
        "messages that reached an agent, decrypted, signature-verified and acknowledged (ack record sent) during the "
            + "measured window, per second");
    report.figure("sends_started", started, "requests", "send requests fired, warm-up included");
    report.figure("sends_accepted", m.accepted.sum(), "messages", "2xx answers, warm-up included");
    report.figure("sends_refused", m.refusedCount(), "requests", "non-2xx answers and transport errors (by reason in the JSON)");
    report.figure("messages_received", m.received.sum(), "messages", "bench messages accepted by agents, warm-up included");
    report.figure("undelivered_after_drain", Math.max(0, m.accepted.sum() - m.received.sum()), "messages",
        "accepted sends that no agent had received 60 s after sending stopped");
    report.figure("drain_seconds", Harness.round(drainSeconds), "s",
        "from the end of sending until every accepted message had been received");
    report.figure("error_records", m.errors.sum(), "records", "error records the gateway sent to agents");
    report.figure("agent_refusals", s.refusedCount(), "messages", "messages agents refused (bad signature, expired, replay)");
    if (usage.gateway() >= 0) {
      report.figure("gateway_cpu_us_per_message", Harness.round(usage.gateway() * 1e6 / Math.max(1, m.receivedInWindow.sum())),
          "us", "gateway CPU time during the window / messages delivered in it (REST, store, seal, sign, ack)");
    }
    report.figure("bench_cpu_us_per_message", Harness.round(usage.bench() * 1e6 / Math.max(1, m.receivedInWindow.sum())),
        "us", "this generator's CPU per delivered message (HTTP client, open, verify, ack)");
    report.figure("other_processes_cpu", Harness.round(usage.others() / Math.max(1e-9, usage.seconds())), "CPUs",
        "average CPUs used by other processes on the machine during the window");
    double commits = after.sum("aegis_store_commit_seconds_count", "") - before.sum("aegis_store_commit_seconds_count", "");
    if (commits > 0) {
      report.figure("gateway_commits_per_message", Harness.round(commits / Math.max(1, m.receivedInWindow.sum())), "commits",
          "the gateway's group commits (aegis_store_commit) during the window / messages delivered in it: a commit's "
              + "fsync and page writes are paid per commit, not per row");
    }
    PromHistogram server = PromHistogram.of(after, "aegis_delivery_latency_seconds", "")
        .minus(PromHistogram.of(before, "aegis_delivery_latency_seconds", ""));
    if (server.count() > 0) {
      report.figure("gateway_accept_to_ack_p50", Harness.round(server.quantile(0.5) * 1000), "ms",
          "the gateway's aegis_delivery_latency (commit to the agent's ack) over the window, median (bucket-interpolated)");
      report.figure("gateway_accept_to_ack_p99", Harness.round(server.quantile(0.99) * 1000), "ms",
          "the same, 99th percentile");
    }
    report.latency("accept", m.acceptLatency.total(), "HTTP send request: from its scheduled start to the 2xx answer "
        + "(the message is durable)");
    report.latency("send_to_receive", m.endToEnd.total(), "from the send's scheduled start to the agent having the "
        + "message decrypted and verified (measured window only)");
    report.latency("send_to_delivered_at", m.deliveredAt.total(), "sampled sends: from the send's start to the "
        + "delivered_at time GET /api/v1/messages/{id} reports (the gateway's record of the ack)");
    report.latency("send_to_ack_visible", m.ackVisible.total(), "sampled sends: from the send's start until GET "
        + "/api/v1/messages/{id} first showed status delivered (polled every 20 ms)");
    report.extra("refused_by_reason", FleetStats.snapshot(m.refused));
    report.extra("agent_refusals_by_reason", FleetStats.snapshot(s.refused));
    fleet.closeAll();
    return m.accepted.sum() > 0 && m.received.sum() >= m.accepted.sum() ? 0 : 1;
  }

  /**
   * Sends through the gateway's REST API to the fleet's agents, round-robin; records acceptance
   * in {@code m} and follows one accepted send in {@code sampleEvery} until it shows delivered.
   */
  static SendWorkload.Sender aegisSender(Harness h, AgentFleet fleet, SendMeter m, String channel, String messageType,
                                         int size, int sampleEvery, boolean idempotencyKeys) {
    String head = "{\"channel\":\"" + channel + "\",\"message_type\":\"" + messageType + "\",\"message\":";
    int n = fleet.agents().size();
    String run = Long.toHexString(System.nanoTime());
    return (seq, scheduled) -> {
      int index = (int) (seq % n);
      String agentId = fleet.agents().get(index).agentId();
      java.util.Map<String, String> headers = idempotencyKeys
          ? java.util.Map.of("Idempotency-Key", "bench-" + run + "-" + seq) : java.util.Map.of();
      return h.apiFor(index).post("/api/v1/agents/" + agentId + "/send", head + BenchPayload.create(size, scheduled) + "}",
              headers)
          .andThen(ar -> {
            if (ar.failed()) {
              m.refused(ar.cause().getClass().getSimpleName());
            } else if (!ar.result().ok()) {
              m.refused("http_" + ar.result().status());
            } else {
              long k = m.accepted(scheduled);
              if (sampleEvery > 0 && k % sampleEvery == 0) {
                m.follow(h, ar.result().json().path("message_id").asText(), scheduled);
              }
            }
          });
    };
  }

  /**
   * Sends {@code batch} messages per request through {@code POST /api/v1/messages} to the fleet's
   * agents, round-robin; each item accepted counts as one accepted send.
   */
  static SendWorkload.Sender batchSender(Harness h, AgentFleet fleet, SendMeter m, String channel, String messageType,
                                         int size, int batch, boolean idempotencyKeys) {
    int n = fleet.agents().size();
    String run = Long.toHexString(System.nanoTime());
    return (seq, scheduled) -> {
      StringBuilder b = new StringBuilder(batch * (size + 160)).append("{\"messages\":[");
      for (int i = 0; i < batch; i++) {
        long k = seq * batch + i;
        if (i > 0) {
          b.append(',');
        }
        b.append("{\"agent_id\":\"").append(fleet.agents().get((int) (k % n)).agentId())
            .append("\",\"channel\":\"").append(channel).append("\",\"message_type\":\"").append(messageType)
            .append("\",");
        if (idempotencyKeys) {
          b.append("\"idempotency_key\":\"bench-").append(run).append('-').append(k).append("\",");
        }
        b.append("\"message\":").append(BenchPayload.create(size, scheduled)).append('}');
      }
      return h.api().post("/api/v1/messages", b.append("]}").toString()).andThen(ar -> {
        if (ar.failed()) {
          m.refused(ar.cause().getClass().getSimpleName());
        } else if (!ar.result().ok()) {
          m.refused("http_" + ar.result().status());
        } else {
          for (var item : ar.result().json().path("results")) {
            if (item.has("error")) {
              m.refused(item.path("error").path("code").asText());
            } else {
              m.accepted(scheduled);
            }
          }
        }
      });
    };
  }
}
