package io.aegis.bench.scenario;

import io.aegis.bench.BenchException;
import io.aegis.bench.BenchOptions;
import io.aegis.bench.Failures;
import io.aegis.bench.Harness;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;

/**
 * The shape of every scenario command: set up a {@link Harness} from the shared options, run,
 * print the report. Exit code 0 on a completed run; 1 if the run completed but missed what it
 * set out to do (for example not every agent connected), or could not run: then one line on
 * standard error says why (no stack trace); 2 for bad arguments.
 */
abstract class ScenarioCommand implements Callable<Integer> {
  @Mixin
  BenchOptions options;

  /** The scenario's name in reports. */
  abstract String name();

  /** Runs the scenario and fills in the report; returns the exit code. */
  abstract int run(Harness h) throws Exception;

  @Override
  public Integer call() {
    try (Harness h = new Harness(options, name())) {
      int code = run(h);
      h.finish();
      return code;
    } catch (BenchException e) {
      System.err.println("aegis bench " + name() + ": " + e.getMessage());
      return 1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      System.err.println("aegis bench " + name() + ": interrupted");
      return 1;
    } catch (Exception e) {
      System.err.println("aegis bench " + name() + ": " + Failures.describe(e, gatewayUri()));
      return 1;
    }
  }

  private java.net.URI gatewayUri() {
    try {
      return java.net.URI.create(options.gateway);
    } catch (IllegalArgumentException e) {
      return java.net.URI.create("http://invalid");
    }
  }

  /**
   * Registers (unless reused) and connects {@code n} agents, at most {@code maxInFlight}
   * attempts at once, and waits until all are open; throws if they are not within 10 minutes.
   */
  static io.aegis.bench.agent.AgentFleet connectFleet(Harness h, int n, int maxInFlight) throws InterruptedException {
    java.util.List<io.aegis.bench.agent.AgentIdentity> ids = h.agents(n);
    io.aegis.bench.agent.AgentFleet fleet = h.fleet(ids,
        new io.aegis.bench.agent.Backoff(java.time.Duration.ofSeconds(1), java.time.Duration.ofSeconds(30)), true);
    io.aegis.bench.agent.FleetStats s = fleet.stats();
    h.progress().phase("connect", () -> String.format("open %d/%d  in flight %d  failed %d (%s)", s.open.get(), n,
        s.inFlight.get(), s.failureCount(), io.aegis.bench.agent.FleetStats.brief(s.failures)));
    long t0 = System.nanoTime();
    fleet.connectAll(0, maxInFlight);
    if (!fleet.awaitOpen(n, java.time.Duration.ofMinutes(10))) {
      throw new BenchException("only " + s.open.get() + " of " + n + " agents connected");
    }
    h.progress().say(String.format("%d agents connected in %.1f s", n, (System.nanoTime() - t0) / 1e9));
    return fleet;
  }

  /** Sleeps, turning an interrupt into an early return. */
  static void pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
