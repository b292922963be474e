package io.aegis.cli.ctl;

import io.aegis.cli.TrustedCa;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.Map;
import javax.net.ssl.SSLContext;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * {@code bin/aegis ctl}: the operator's command line for a running gateway, over its REST API.
 * The connection options are inherited by every subcommand, so they may come before or after it.
 */
@Command(
    name = "ctl",
    mixinStandardHelpOptions = true,
    versionProvider = io.aegis.cli.AegisCommand.Version.class,
    description = {
        "Operate a running gateway through its REST API: agents, sends and broadcasts, messages, policies, events, "
            + "approvals, operator tokens and the audit log.",
        "",
        "The gateway and the operator token come from --url/--token, else AEGIS_URL/AEGIS_TOKEN, else the "
            + "configuration file (--config, else $AEGIS_CONFIG, else ~/.config/aegis/ctl.json), a JSON object:",
        "  {\"url\": \"https://gw:8080\", \"token\": \"aegis_op_...\", \"ca_cert\": \"ca.pem\"}",
        "Output: tables, or JSON with --json (-o json on send and broadcast, whose --json is the message).",
        ""},
    subcommands = {AgentsCommand.class, SendCommand.class, BroadcastCommand.class, MessagesCommand.class,
        PoliciesCommand.class, EventsCommand.class, ApprovalsCommand.class, TokensCommand.class, AuditCommand.class},
    footer = {"", "Exit status: 0 done; 1 refused by the gateway (its error code is printed), or what was waited for "
        + "did not happen; 2 bad arguments or settings; 3 the gateway could not be reached."})
public final class CtlCommand implements Runnable {

  @CommandLine.Spec CommandSpec spec;

  @Option(names = "--url", scope = ScopeType.INHERIT, paramLabel = "URL",
      description = "The gateway's base URL, http(s)://host:port (default: $AEGIS_URL, then the configuration file).")
  String url;

  @Option(names = "--token", scope = ScopeType.INHERIT, paramLabel = "TOKEN",
      description = "Operator token (default: $AEGIS_TOKEN, then the configuration file).")
  String token;

  @Option(names = "--ca-cert", scope = ScopeType.INHERIT, paramLabel = "FILE",
      description = "Trust gateway certificates issued by this CA (PEM), besides the system's (default: $AEGIS_CA_CERT,"
          + " then the configuration file's ca_cert).")
  Path caCert;

  @Option(names = "--config", scope = ScopeType.INHERIT, paramLabel = "FILE",
      description = "Configuration file (default: $AEGIS_CONFIG, else ~/.config/aegis/ctl.json).")
  Path config;

  @Option(names = {"-o", "--output"}, scope = ScopeType.INHERIT, paramLabel = "FORMAT", defaultValue = "table",
      description = "table (default) or json.")
  Format format;

  @Option(names = "--request-timeout", scope = ScopeType.INHERIT, paramLabel = "DURATION", defaultValue = "30s",
      converter = DurationConverter.class,
      description = "How long one request to the gateway may take (default ${DEFAULT-VALUE}).")
  Duration requestTimeout;

  /** Output formats. */
  enum Format { table, json }

  private final Map<String, String> env;
  private final InputStream in;
  private final boolean interactive;
  private GatewayApi api;

  public CtlCommand() {
    this(System.getenv(), System.in, onTerminal());
  }

  /**
   * For tests and embedding.
   *
   * @param env         the environment to read settings from
   * @param in          where confirmations (and {@code -} arguments) are read
   * @param interactive whether progress lines may be rewritten in place (a terminal)
   */
  public CtlCommand(Map<String, String> env, InputStream in, boolean interactive) {
    this.env = env;
    this.in = in;
    this.interactive = interactive;
  }

  boolean interactive() {
    return interactive;
  }

  /** Whether this process talks to a terminal (JDK 22+ says so through Console.isTerminal; before, a console is one). */
  private static boolean onTerminal() {
    java.io.Console c = System.console();
    if (c == null) {
      return false;
    }
    try {
      return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(c);
    } catch (ReflectiveOperationException e) {
      return true;
    }
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** The {@code ctl} command above {@code leaf}. */
  static CtlCommand of(CommandSpec leaf) {
    for (CommandSpec s = leaf; s != null; s = s.parent()) {
      if (s.userObject() instanceof CtlCommand c) {
        return c;
      }
    }
    throw new IllegalStateException("not under ctl: " + leaf.qualifiedName());
  }

  /** The output of {@code leaf}: JSON if {@code jsonFlag} or {@code -o json}. */
  Output output(CommandSpec leaf, boolean jsonFlag) {
    return new Output(leaf.commandLine().getOut(), leaf.commandLine().getErr(), jsonFlag || format == Format.json);
  }

  InputStream in() {
    return in;
  }

  /** The gateway's API, set up on first use; a missing or bad setting is a usage error of {@code leaf}. */
  GatewayApi api(CommandSpec leaf) {
    if (api == null) {
      CtlSettings s;
      SSLContext ssl = null;
      try {
        s = CtlSettings.resolve(new CtlSettings.Flags(url, token, caCert, config), env, leaf.commandLine().getErr());
        if (s.caCert() != null) {
          ssl = TrustedCa.sslContext(s.caCert());
        }
      } catch (IllegalArgumentException | UncheckedIOException | GeneralSecurityException e) {
        throw new CommandLine.ParameterException(leaf.commandLine(), e.getMessage());
      }
      warnIfCleartext(s, leaf);
      api = new GatewayApi(s.url(), s.token(), ssl, requestTimeout);
    }
    return api;
  }

  /** The token goes in every request: say so when it would cross a network unencrypted. */
  private static void warnIfCleartext(CtlSettings s, CommandSpec leaf) {
    if (!"http".equals(s.url().getScheme())) {
      return;
    }
    boolean loopback;
    try {
      loopback = InetAddress.getByName(s.url().getHost()).isLoopbackAddress();
    } catch (UnknownHostException e) {
      loopback = false;
    }
    if (!loopback) {
      leaf.commandLine().getErr().println("aegis: warning: sending the operator token without TLS to "
          + s.url().getHost() + "; use https://");
      leaf.commandLine().getErr().flush();
    }
  }

  /** Durations as the gateway writes them: {@code 30s}, {@code 5m}, {@code 1h30m}, {@code 500ms}. */
  public static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      try {
        return io.aegis.server.config.Durations.parse(value);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.TypeConversionException("'" + value + "' is not a duration such as 30s, 5m, 1h: "
            + e.getMessage());
      }
    }
  }
}
