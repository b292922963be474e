package io.aegis.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code bin/aegis} command line: one entry point whose subcommands run the gateway,
 * manage keys, run the reference agent, call the operator API and drive the load generator.
 */
@Command(
    name = "aegis",
    mixinStandardHelpOptions = true,
    versionProvider = AegisCommand.Version.class,
    description = "Aegis Gateway: secure, reliable, real-time channels between agents and their backend.",
    subcommands = {ServeCommand.class, KeygenCommand.class, AgentCommand.class, AdminCommand.class,
        CommandLine.HelpCommand.class},
    footer = {"", "  test      Build and run every test (bin/aegis test; runs Maven verify)."})
public final class AegisCommand implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  public static void main(String[] args) {
    CommandLine cl = new CommandLine(new AegisCommand());
    cl.addSubcommand("bench", BenchCommand.commandLine());
    System.exit(cl.execute(args));
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = AegisCommand.class.getPackage().getImplementationVersion();
      return new String[] {"aegis " + (v == null ? "development build" : v)};
    }
  }
}
