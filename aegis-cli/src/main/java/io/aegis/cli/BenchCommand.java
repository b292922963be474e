package io.aegis.cli;

import io.aegis.bench.scenario.Scenarios;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code bin/aegis bench SCENARIO …}: the load generator ({@code aegis-bench}). Each scenario is a
 * subcommand; {@code bin/aegis bench SCENARIO --help} lists its options.
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = {
        "Load generator: simulated agents with real keys, handshakes and record layer against a gateway.",
        "Progress on stderr every second, a table on stdout, --json FILE for machines."})
final class BenchCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** A command line with every scenario registered as a subcommand. */
  static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new BenchCommand());
    for (Object scenario : Scenarios.all()) {
      cl.addSubcommand(scenario);
    }
    return cl;
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }
}
