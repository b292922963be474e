package io.aegis.bench.scenario;

import io.aegis.bench.Harness;
import io.aegis.bench.DurationConverter;
import io.aegis.bench.agent.AgentFleet;
import io.aegis.bench.agent.AgentIdentity;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code abuse}: targeted sends to connected agents at a fixed rate, measured twice — alone, then
 * while one address (the attacker's) holds idle and half-sent connections, starts upgrades in a
 * real agent's name that never say hello, and guesses operator tokens. What the limits of
 * docs/OPERATIONS.md §11 promise is that the second measurement looks like the first; the report
 * shows both, and what the attacker got.
 *
 * <p>A spawned gateway keeps the product's per-address limits here (the other scenarios raise
 * them for load), unless {@code --gateway-env} says otherwise.
 */
@Command(name = "abuse", mixinStandardHelpOptions = true,
    description = "Sends to connected agents, alone and then under a one-address attack (slowloris, stalled "
        + "upgrades in an agent's name, token guessing); compares the two.")
final class AbuseScenario extends ScenarioCommand {
  @Option(names = "--agents", defaultValue = "50", description = "Connected agents (default ${DEFAULT-VALUE}).")
  int agents;

  @Option(names = "--rate", defaultValue = "200", description = "Sends per second (default ${DEFAULT-VALUE}).")
  double rate;

  @Option(names = "--duration", defaultValue = "20s", converter = DurationConverter.class,
      description = "Measured time of each phase (default ${DEFAULT-VALUE}).")
  Duration duration;

  @Option(names = "--warmup", defaultValue = "5s", converter = DurationConverter.class,
      description = "Unmeasured start of each phase (default ${DEFAULT-VALUE}).")
  Duration warmup;

  @Option(names = "--idle-connections", defaultValue = "2000",
      description = "Connections the attacker keeps open without finishing a request (default ${DEFAULT-VALUE}).")
  int idleConnections;

  @Option(names = "--stalled-upgrades", defaultValue = "400",
      description = "Upgrades in a real agent's name the attacker keeps open without a client_hello (default "
          + "${DEFAULT-VALUE}).")
  int stalledUpgrades;

  @Option(names = "--guesses", defaultValue = "200",
      description = "Wrong operator tokens the attacker tries per second (default ${DEFAULT-VALUE}).")
  int guessesPerSecond;

  @Option(names = "--attacker-address", defaultValue = "127.0.0.250",
      description = "The local address the attack comes from (default ${DEFAULT-VALUE}).")
  String attackerAddress;

  /** What the attacker got. */
  private final LongAdder closedOnIt = new LongAdder();
  private final LongAdder upgradesAccepted = new LongAdder();
  private final LongAdder upgradesRefused = new LongAdder();
  private final LongAdder guessesRefused429 = new LongAdder();
  private final LongAdder guesses401 = new LongAdder();
  private final AtomicInteger heldNow = new AtomicInteger();
  private final AtomicInteger heldMax = new AtomicInteger();

  @Override
  String name() {
    return "abuse";
  }

  @Override
  public Integer call() {
    // The product's defaults, not the raised load settings, for what this scenario is about.
    options.gatewayEnv.putIfAbsent("AEGIS_MAX_CONNECTIONS_PER_ADDRESS", "4096");
    options.gatewayEnv.putIfAbsent("AEGIS_MAX_PENDING_HANDSHAKES_PER_ADDRESS", "256");
    options.gatewayEnv.putIfAbsent("AEGIS_HANDSHAKE_RATE_LIMIT", "500");
    options.gatewayEnv.putIfAbsent("AEGIS_AUTH_FAILURE_RATE_LIMIT", "5");
    return super.call();
  }

  @Override
  int run(Harness h) throws Exception {
    h.report().parameter("agents", agents).parameter("rate", rate + "/s").parameter("duration", duration.toSeconds()
        + " s per phase").parameter("idle_connections", idleConnections).parameter("stalled_upgrades", stalledUpgrades)
        .parameter("token_guesses", guessesPerSecond + "/s").parameter("attacker_address", attackerAddress);
    AgentFleet fleet = connectFleet(h, agents, 64);
    AgentIdentity victim = fleet.agents().get(0).identity();

    SendMeter alone = meter(fleet);
    SendWorkload.Result quiet = new SendWorkload(rate, 64, warmup, duration).run(h, "alone", alone,
        SendScenario.aegisSender(h, fleet, alone, "bench", "event", 256, 0, true), () -> { }, () -> { });

    AtomicBoolean attacking = new AtomicBoolean(true);
    URI gw = h.gateway();
    ExecutorService attack = Executors.newVirtualThreadPerTaskExecutor();
    for (int i = 0; i < idleConnections; i++) {
      attack.execute(() -> holdOpen(gw, attacking, i2 -> "GET /healthz HT")); // a request line never finished
    }
    String upgrade = "GET /ws/agent HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + "Sec-WebSocket-Version: 13\r\nX-Agent-ID: " + victim.agentId() + "\r\nX-Agent-Public-Key: "
        + victim.publicKeyBase64() + "\r\n";
    for (int i = 0; i < stalledUpgrades; i++) {
      attack.execute(() -> stallUpgrade(gw, attacking, upgrade));
    }
    attack.execute(() -> guessTokens(gw, attacking));
    pause(2000); // let the attack build up before measuring

    SendMeter under = meter(fleet);
    SendWorkload.Result loud = new SendWorkload(rate, 64, warmup, duration).run(h, "under attack", under,
        SendScenario.aegisSender(h, fleet, under, "bench", "event", 256, 0, true), () -> { }, () -> { });
    attacking.set(false);
    attack.shutdownNow();

    figures(h, "alone", quiet, alone);
    figures(h, "under_attack", loud, under);
    var r = h.report();
    r.figure("attacker_connections_held_max", heldMax.get(), "connections",
        "most connections the attacker held open at once (idle, half-sent, stalled upgrades)");
    r.figure("attacker_connections_closed_by_gateway", closedOnIt.sum(), "connections",
        "attacker connections the gateway closed (timeouts, per-address cap) or refused");
    r.figure("attacker_upgrades_accepted", upgradesAccepted.sum(), "upgrades", "stalled upgrades answered 101");
    r.figure("attacker_upgrades_refused", upgradesRefused.sum(), "upgrades",
        "stalled upgrades refused (429: too many in progress from the address, or too many failures)");
    r.figure("attacker_guesses_401", guesses401.sum(), "requests", "wrong tokens answered 401 (looked at)");
    r.figure("attacker_guesses_429", guessesRefused429.sum(), "requests", "wrong tokens refused 429 (not looked at)");
    fleet.closeAll();
    return under.received.sum() >= under.accepted.sum() && under.accepted.sum() > 0 ? 0 : 1;
  }

  private static SendMeter meter(AgentFleet fleet) {
    SendMeter m = new SendMeter();
    fleet.listener((agent, rec, now) -> {
      if (rec.type().equals("error")) {
        m.errors.increment();
      } else if (rec.channel().equals("bench")) {
        m.received(rec.body(), now);
      }
    });
    return m;
  }

  private static void figures(Harness h, String phase, SendWorkload.Result result, SendMeter m) {
    var r = h.report();
    r.figure(phase + "_sends_accepted_per_second", Harness.round(result.acceptedPerSecond()), "1/s",
        "sends answered 2xx during the phase's measured window, per second");
    r.figure(phase + "_delivered_per_second", Harness.round(result.deliveredPerSecond()), "1/s",
        "messages received and acknowledged by agents during the window, per second");
    r.figure(phase + "_sends_refused", m.refusedCount(), "requests", "sends not answered 2xx");
    r.figure(phase + "_undelivered", Math.max(0, m.accepted.sum() - m.received.sum()), "messages",
        "accepted sends no agent had received at the end");
    r.latency(phase + "_send_to_receive", m.endToEnd.total(), "from a send's scheduled start to its agent having it");
  }

  private Socket open(URI gw) throws IOException {
    Socket s = new Socket();
    s.bind(new InetSocketAddress(InetAddress.getByName(attackerAddress), 0));
    s.connect(new InetSocketAddress(gw.getHost(), gw.getPort()), 5000);
    return s;
  }

  /** Keeps one connection open with a request never finished; opens another when the gateway closes it. */
  private void holdOpen(URI gw, AtomicBoolean attacking, java.util.function.IntFunction<String> start) {
    while (attacking.get()) {
      try (Socket s = open(gw)) {
        held(1);
        try {
          s.getOutputStream().write(start.apply(0).getBytes(StandardCharsets.US_ASCII));
          s.getOutputStream().flush();
          InputStream in = s.getInputStream();
          while (attacking.get() && in.read() >= 0) {
            // whatever the gateway says; it ends with a close
          }
          if (attacking.get()) {
            closedOnIt.increment();
          }
        } finally {
          held(-1);
        }
      } catch (IOException e) {
        if (attacking.get()) {
          closedOnIt.increment();
          pause(50);
        }
      }
    }
  }

  /** Starts an upgrade in a real agent's name and never sends client_hello; again when it ends. */
  private void stallUpgrade(URI gw, AtomicBoolean attacking, String head) {
    byte[] key = new byte[16];
    while (attacking.get()) {
      try (Socket s = open(gw)) {
        held(1);
        try {
          new java.security.SecureRandom().nextBytes(key);
          OutputStream out = s.getOutputStream();
          out.write((head + "Sec-WebSocket-Key: " + Base64.getEncoder().encodeToString(key) + "\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
          out.flush();
          String status = statusLine(s.getInputStream());
          if (status.contains(" 101 ")) {
            upgradesAccepted.increment();
          } else {
            upgradesRefused.increment();
            pause(200);
          }
          InputStream in = s.getInputStream();
          while (attacking.get() && in.read() >= 0) {
            // held until the handshake timeout closes it
          }
        } finally {
          held(-1);
        }
      } catch (IOException e) {
        pause(50);
      }
    }
  }

  /** Wrong operator tokens, {@link #guessesPerSecond} a second, each on a connection of its own. */
  private void guessTokens(URI gw, AtomicBoolean attacking) {
    long gapNanos = 1_000_000_000L / Math.max(1, guessesPerSecond);
    long next = System.nanoTime();
    while (attacking.get()) {
      try (Socket s = open(gw)) {
        s.getOutputStream().write(("GET /api/v1/agents HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: "
            + "Bearer aegis_op_guess" + System.nanoTime() + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        String status = statusLine(s.getInputStream());
        if (status.contains(" 429 ")) {
          guessesRefused429.increment();
        } else if (status.contains(" 401 ")) {
          guesses401.increment();
        }
      } catch (IOException e) {
        // refused or closed: try the next guess
      }
      next += gapNanos;
      long wait = next - System.nanoTime();
      if (wait > 0) {
        pause(wait / 1_000_000);
      }
    }
  }

  private static String statusLine(InputStream in) throws IOException {
    StringBuilder b = new StringBuilder();
    int c;
    while ((c = in.read()) >= 0 && c != '\n' && b.length() < 200) {
      b.append((char) c);
    }
    return b.toString();
  }

  private void held(int delta) {
    int now = heldNow.addAndGet(delta);
    heldMax.accumulateAndGet(now, Math::max);
  }
}
