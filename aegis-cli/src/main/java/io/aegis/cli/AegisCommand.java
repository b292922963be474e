package io.aegis.cli;

import io.aegis.cli.ctl.CtlCommand;
import io.aegis.cli.ctl.CtlFailure;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code bin/aegis} command line: one entry point whose subcommands run the gateway,
 * manage keys, run the reference agent, operate a running gateway ({@code ctl}) and drive the
 * load generator.
 *
 * <p>Exit status 2 is a usage error (bad arguments or settings) in every subcommand; it prints
 * one line saying what is wrong and where to find the usage, not the whole usage.
 */
@Command(
    name = "aegis",
    mixinStandardHelpOptions = true,
    versionProvider = AegisCommand.Version.class,
    description = "Aegis Gateway: secure, reliable, real-time channels between agents and their backend.",
    subcommands = {ServeCommand.class, KeygenCommand.class, AgentCommand.class},
    footer = {"", "  test      Build and run every test (bin/aegis test; runs Maven verify)."})
public final class AegisCommand implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  public static void main(String[] args) {
    System.exit(commandLine(System.getenv(), System.in, null).execute(args));
  }

  /**
   * The whole command tree with its error handling.
   *
   * @param env         the environment {@code ctl} reads its settings from
   * @param in          standard input for {@code ctl}'s confirmations
   * @param interactive whether {@code ctl} may rewrite progress lines in place; null: detect a terminal
   */
  public static CommandLine commandLine(Map<String, String> env, InputStream in, Boolean interactive) {
    CommandLine cl = new CommandLine(new AegisCommand());
    cl.addSubcommand(new AdminCommand(env));
    cl.addSubcommand(interactive == null ? new CtlCommand() : new CtlCommand(env, in, interactive));
    cl.addSubcommand("bench", BenchCommand.commandLine());
    cl.addSubcommand(new CommandLine.HelpCommand());
    cl.setParameterExceptionHandler(AegisCommand::usageError);
    cl.setExecutionExceptionHandler(AegisCommand::failure);
    return cl;
  }

  /** A usage error: what is wrong, and where the usage is; exit status 2. */
  private static int usageError(CommandLine.ParameterException e, String[] args) {
    CommandLine cmd = e.getCommandLine();
    PrintWriter err = cmd.getErr();
    err.println("aegis: " + e.getMessage());
    CommandLine.UnmatchedArgumentException.printSuggestions(e, err);
    err.println("See 'bin/" + cmd.getCommandSpec().qualifiedName() + " --help'.");
    err.flush();
    return cmd.getCommandSpec().exitCodeOnInvalidInput();
  }

  /**
   * A command that failed: one line, never a stack trace (unless {@code AEGIS_DEBUG=1}); a
   * {@code ctl} failure exits with its own status, anything else with 1.
   */
  private static int failure(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) {
    PrintWriter err = cmd.getErr();
    if (e instanceof CtlFailure f) {
      err.println("aegis: " + f.getMessage());
      err.flush();
      return f.exitCode();
    }
    err.println("aegis " + cmd.getCommandSpec().qualifiedName(" ").replaceFirst("^aegis ", "") + ": "
        + (e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName()));
    if ("1".equals(System.getenv("AEGIS_DEBUG"))) {
      e.printStackTrace(err);
    } else {
      err.println("(set AEGIS_DEBUG=1 to see where it failed)");
    }
    err.flush();
    return 1;
  }

  /** {@code --version}: the version and the commit the build was made from. */
  public static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"aegis " + BuildInfo.version() + " (commit " + BuildInfo.commit() + ")",
          "Java " + Runtime.version() + " (" + System.getProperty("java.vendor") + ")"};
    }
  }
}
