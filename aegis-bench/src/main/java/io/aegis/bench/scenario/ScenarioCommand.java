package io.aegis.bench.scenario;

import io.aegis.bench.BenchException;
import io.aegis.bench.BenchOptions;
import io.aegis.bench.Harness;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;

/**
 * The shape of every scenario command: set up a {@link Harness} from the shared options, run,
 * print the report. Exit code 0 on a completed run, 1 if the run completed but missed what it
 * set out to do (for example not every agent connected), 2 if it could not run.
 */
abstract class ScenarioCommand implements Callable<Integer> {
  @Mixin
  BenchOptions options;

  /** The scenario's name in reports. */
  abstract String name();

  /** Runs the scenario and fills in the report; returns the exit code. */
  abstract int run(Harness h) throws Exception;

  @Override
  public Integer call() throws Exception {
    try (Harness h = new Harness(options, name())) {
      int code = run(h);
      h.finish();
      return code;
    } catch (BenchException e) {
      System.err.println("aegis bench " + name() + ": " + e.getMessage());
      return 2;
    }
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
