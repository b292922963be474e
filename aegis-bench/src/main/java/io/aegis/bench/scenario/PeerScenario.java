package io.aegis.bench.scenario;

import io.aegis.bench.DurationConverter;
import io.aegis.bench.Harness;
import io.aegis.bench.agent.AgentFleet;
import io.aegis.bench.mqtt.MqttFleet;
import io.aegis.bench.report.Report;
import io.vertx.core.Promise;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.LinkedHashMap;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code peer}: the send and broadcast workloads against Aegis and then against an MQTT broker
 * (Mosquitto on 127.0.0.1:1883 by default) at QoS 1 with persistent sessions, driven by the same
 * {@link SendWorkload} and {@link BroadcastWorkload}, and printed side by side with the ratios.
 *
 * <p>What differs, and the report says so: Aegis accepts a send only once it is committed to its
 * store, and every message is signed, end-to-end encrypted and verified by the agent; Mosquitto's
 * PUBACK means the broker holds the message in memory (its persistence file is written
 * periodically), and MQTT payloads travel in clear on loopback.
 */
@Command(name = "peer", mixinStandardHelpOptions = true,
    description = "The send and broadcast workloads against Aegis and against Mosquitto (QoS 1, persistent sessions), "
        + "back to back, with the ratios.")
public final class PeerScenario extends ScenarioCommand {
  @Option(names = "--agents", defaultValue = "200", description = "Agents / MQTT subscribers (default ${DEFAULT-VALUE}).")
  int agents;

  @Option(names = "--rate", defaultValue = "0", description = "Sends per second; 0 = flat out (default).")
  double rate;

  @Option(names = "--concurrency", defaultValue = "128", description = "Sends in flight (default ${DEFAULT-VALUE}).")
  int concurrency;

  @Option(names = "--batch", defaultValue = "1", description = "Aegis sends per request: 1 (default) posts each to "
      + "POST /api/v1/agents/{id}/send, more post them together to POST /api/v1/messages (Aegis's best path; "
      + "each MQTT publish stays one message). --rate still counts messages.")
  int batch;

  @Option(names = "--duration", defaultValue = "20s", converter = DurationConverter.class,
      description = "Measured sending time per system (default ${DEFAULT-VALUE}).")
  Duration duration;

  @Option(names = "--warmup", defaultValue = "5s", converter = DurationConverter.class,
      description = "Unmeasured sending first (default ${DEFAULT-VALUE}).")
  Duration warmup;

  @Option(names = "--size", defaultValue = "256", description = "Send size, bytes of JSON (default ${DEFAULT-VALUE}).")
  int size;

  @Option(names = "--broadcast-size", defaultValue = "1024", description = "Broadcast size (default ${DEFAULT-VALUE}).")
  int broadcastSize;

  @Option(names = "--repeat", defaultValue = "3", description = "Measured broadcasts per system (default ${DEFAULT-VALUE}).")
  int repeat;

  @Option(names = "--mqtt", defaultValue = "tcp://127.0.0.1:1883", description = "The MQTT broker (default ${DEFAULT-VALUE}).")
  String mqtt;

  @Option(names = "--max-in-flight", defaultValue = "256", description = "Connection attempts at once while the "
      + "agents connect (default ${DEFAULT-VALUE}).")
  int maxInFlight;

  @Override
  String name() {
    return "peer";
  }

  /** One system's figures. */
  record Side(String name, SendWorkload.Result send, List<BroadcastWorkload.Run> broadcasts,
              org.HdrHistogram.Histogram broadcastPerAgent) {}

  @Override
  int run(Harness h) throws Exception {
    Report report = h.report();
    report.parameter("agents", agents).parameter("rate", rate == 0 ? "flat out" : rate + "/s")
        .parameter("concurrency", concurrency).parameter("batch", batch)
        .parameter("duration", duration.toSeconds() + " s")
        .parameter("size", size + " B").parameter("broadcast_size", broadcastSize + " B").parameter("repeat", repeat)
        .parameter("mqtt_broker", mqtt + " (QoS 1, clean session false)");
    report.note("Aegis: a send is accepted once committed to the store; every message is signed, end-to-end "
        + "encrypted and verified by the agent. Mosquitto: PUBACK means the broker holds it (persistence is written "
        + "periodically); MQTT payloads are in clear.");
    if (batch < 1 || batch > 1000) {
      throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this), "--batch must be 1 to 1000");
    }
    SendWorkload workload = new SendWorkload(rate, concurrency, warmup, duration);
    Duration timeout = Duration.ofSeconds(120);

    // Aegis.
    AgentFleet fleet = connectFleet(h, agents, maxInFlight);
    SendMeter am = new SendMeter();
    BroadcastWorkload ab = new BroadcastWorkload();
    fleet.listener((agent, r, now) -> {
      if (r.channel().equals("bench")) {
        am.received(r.body(), now);
      } else if (r.channel().equals("bench-broadcast")) {
        ab.received(r.body(), now);
      }
    });
    SendWorkload.Result aSend = (batch > 1 ? new SendWorkload(rate / batch, concurrency, warmup, duration) : workload)
        .run(h, "aegis send", am, batch > 1
            ? SendScenario.batchSender(h, fleet, am, "bench", "event", size, batch, true)
            : SendScenario.aegisSender(h, fleet, am, "bench", "event", size, 0, true), () -> { }, () -> { });
    List<BroadcastWorkload.Run> aRuns = ab.run(h, "aegis", broadcastSize, 1, repeat, timeout, h.probe().pid(),
        BroadcastScenario.aegisCaster(h, "bench-broadcast", "event", options.prefix));
    Side aegis = new Side("aegis", aSend, aRuns, ab.perAgent.total().copy());
    fleet.closeAll();

    // Mosquitto.
    MqttFleet mq = new MqttFleet(mqtt, options.prefix, agents);
    SendMeter mm = new SendMeter();
    BroadcastWorkload mb = new BroadcastWorkload();
    mq.listener((topic, body, now) -> {
      if (topic.equals(mq.broadcastTopic())) {
        mb.received(body, now);
      } else {
        mm.received(body, now);
      }
    });
    h.progress().phase("mqtt connect", () -> "");
    mq.connect(concurrency * 2, n -> { });
    h.progress().say("mqtt: " + agents + " subscribers connected to " + mqtt);
    Side mosquitto;
    try {
      SendWorkload.Result mSend = workload.run(h, "mqtt send", mm, (seq, scheduled) -> {
        Promise<Void> p = Promise.promise();
        mq.publish(mq.topicOf((int) (seq % agents)), io.aegis.bench.agent.BenchPayload.create(size, scheduled), () -> {
          mm.accepted(scheduled);
          p.tryComplete();
        }, e -> {
          mm.refused(e.getClass().getSimpleName());
          p.tryComplete();
        });
        return p.future();
      }, () -> { }, () -> { }, () -> new io.aegis.bench.report.CpuMeter(brokerPid()));
      List<BroadcastWorkload.Run> mRuns = mb.run(h, "mqtt", broadcastSize, 1, repeat, timeout, -1,
          new BroadcastWorkload.Caster() {
            @Override
            public Object[] cast(String payload, long t0) throws Exception {
              Promise<Double> p = Promise.promise();
              mq.publish(mq.broadcastTopic(), payload, () -> p.tryComplete((System.nanoTime() - t0) / 1e6), p::tryFail);
              double acceptedMs = p.future().await(60, java.util.concurrent.TimeUnit.SECONDS);
              return new Object[] {acceptedMs, agents, null};
            }

            @Override
            public double awaitAcks(Object id, int recipients, long t0, long deadline) {
              return -1; // the broker does not expose subscribers' PUBACKs
            }
          });
      mosquitto = new Side("mosquitto", mSend, mRuns, mb.perAgent.total().copy());
    } finally {
      h.progress().phase("mqtt close", () -> "disconnecting and wiping " + agents + " MQTT sessions");
      mq.close();
    }

    for (Side s : List.of(aegis, mosquitto)) {
      String n = s.name();
      SendWorkload.Result r = s.send();
      report.figure(n + "_sends_accepted_per_second", Harness.round(r.acceptedPerSecond()), "1/s",
          n + ": sends accepted (2xx / PUBACK) per second in the measured window");
      report.figure(n + "_delivered_per_second", Harness.round(r.deliveredPerSecond()), "1/s",
          n + ": messages received by agents/subscribers per second in the measured window");
      report.figure(n + "_undelivered_after_drain", Math.max(0, r.meter().accepted.sum() - r.meter().received.sum()),
          "messages", n + ": accepted but not received 60 s after sending stopped");
      report.figure(n + "_broadcast_last_delivery_ms", BroadcastWorkload.median(s.broadcasts(),
          BroadcastWorkload.Run::lastDeliveryMs), "ms", n + ": median time from a broadcast's start to its last recipient");
      report.latency(n + "_send_to_receive", r.meter().endToEnd.total(), n + ": send start to the recipient having it "
          + (n.equals("aegis") ? "(decrypted and verified)" : "(messageArrived)"));
      report.latency(n + "_accept", r.meter().acceptLatency.total(), n + ": send start to 2xx / PUBACK");
      report.latency(n + "_broadcast_per_agent", s.broadcastPerAgent(), n + ": broadcast start to each recipient");
    }
    // What each server spent per delivered message: the gateway's process, the broker's process.
    for (Side s : List.of(aegis, mosquitto)) {
      double cpu = s.send().usage().gateway();
      report.figure(s.name() + "_server_cpu_us_per_message", cpu < 0 ? -1 : Harness.round(cpu * 1e6
          / Math.max(1, s.send().meter().receivedInWindow.sum())), "us", s.name() + ": the server process's CPU "
          + "(user + system) per message delivered in the window (-1: its process was not found)");
    }
    report.figure("ratio_delivered_per_second", Harness.round(aegis.send().deliveredPerSecond()
        / Math.max(1e-9, mosquitto.send().deliveredPerSecond())), "x", "Aegis delivered/s ÷ Mosquitto delivered/s");
    report.figure("ratio_send_to_receive_p50", Harness.round(aegis.send().meter().endToEnd.total().getValueAtPercentile(50)
        / (double) Math.max(1, mosquitto.send().meter().endToEnd.total().getValueAtPercentile(50))), "x",
        "Aegis median send-to-receive ÷ Mosquitto's");
    report.figure("ratio_broadcast_last_delivery", Harness.round(
        BroadcastWorkload.median(aegis.broadcasts(), BroadcastWorkload.Run::lastDeliveryMs)
            / Math.max(1e-9, BroadcastWorkload.median(mosquitto.broadcasts(), BroadcastWorkload.Run::lastDeliveryMs))), "x",
        "Aegis broadcast time to the last recipient ÷ Mosquitto's");
    Map<String, Object> runs = new LinkedHashMap<>();
    runs.put("aegis", aegis.broadcasts());
    runs.put("mosquitto", mosquitto.broadcasts());
    report.extra("broadcast_runs", runs);
    return 0;
  }

  /** The local MQTT broker's process id (a {@code mosquitto} process), or -1 if there is none to read. */
  private static long brokerPid() {
    return ProcessHandle.allProcesses()
        .filter(p -> p.info().command().map(c -> c.endsWith("/mosquitto")).orElse(false))
        .mapToLong(ProcessHandle::pid).findFirst().orElse(-1);
  }
}
