package io.aegis.cli;

import io.aegis.agent.AgentClient;
import io.aegis.agent.AgentClientBuilder;
import io.aegis.agent.reference.ReferenceAgent;
import io.aegis.protocol.KeyFiles;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bin/aegis agent}: the reference agent ({@link ReferenceAgent}) on standard input and
 * output.
 */
@Command(
    name = "agent",
    mixinStandardHelpOptions = true,
    description = {
        "Run the reference agent: connect to the gateway over an authenticated, encrypted WebSocket,",
        "print every message received as one JSON line on stdout",
        "  {\"id\",\"type\",\"channel\",\"headers\",\"body\",\"received_at\"}",
        "and acknowledge it; send each line of stdin as a message:",
        "  CHANNEL JSON               an event on CHANNEL",
        "  CHANNEL:TYPE JSON          another message type; for 'request' the response is printed",
        "  :reply MESSAGE_ID JSON     answer a request received from the backend",
        "On channel 'events', JSON that is not already {\"events\":[...]} is wrapped: an array is the",
        "list of events, anything else one event; wrapped events without a timestamp get the current time.",
        "If the WebSocket keeps failing, the agent falls back to HTTP polling and returns when it can.",
        "Connection state goes to stderr. Runs until interrupted (or the end of stdin with --exit-on-eof).",
        "Exit status: 0 closed; 1 with --exit-on-eof, the session never opened or failed, or something sent was",
        "not acknowledged (stderr says why); 2 bad arguments; 3 revoked; 4 replaced by another instance."})
final class AgentCommand implements Callable<Integer> {

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  private final java.io.InputStream in;
  private final java.io.PrintStream out;
  private final java.io.PrintStream err;

  AgentCommand() {
    this(System.in, System.out, System.err);
  }

  /** For tests: standard input, output and error. */
  AgentCommand(java.io.InputStream in, java.io.PrintStream out, java.io.PrintStream err) {
    this.in = in;
    this.out = out;
    this.err = err;
  }

  @Option(names = "--url", paramLabel = "URL", defaultValue = "${env:AEGIS_URL}",
      description = "Gateway base URL (https://host:port) or socket URL (wss://host/ws/agent) (default: $AEGIS_URL).")
  String url;

  /** The flag's old name, kept for existing scripts. */
  @Option(names = "--backend", hidden = true, paramLabel = "URL")
  void backend(String value) {
    url = value;
  }

  @Option(names = "--id", required = true, paramLabel = "ID", description = "The agent id, as registered.")
  String agentId;

  @Option(names = "--key", required = true, paramLabel = "FILE",
      description = "The agent's private key (PKCS#8 PEM, from 'aegis keygen').")
  Path keyFile;

  @Option(names = "--backend-key", required = true, paramLabel = "B64|FILE",
      description = "Pinned backend public key: base64 of its 32 bytes, or a file holding it (the gateway's public.pem); "
          + "give it twice to pin two (the first is asked for in each handshake, the second accepted too: the order "
          + "the agent reports when the backend rotates).")
  List<String> backendKeys = new ArrayList<>();

  @Option(names = "--subscribe", split = ",", paramLabel = "CHANNEL",
      description = "Channels to subscribe to, comma-separated.")
  List<String> subscribe = new ArrayList<>();

  @Option(names = "--dedup-file", paramLabel = "FILE",
      description = "Remember delivered message ids in FILE, so a restarted agent does not handle them again.")
  Path dedupFile;

  @Option(names = "--ca-cert", paramLabel = "FILE",
      description = "Trust the gateway certificates issued by this CA (PEM), besides the system's trusted CAs"
          + " (for a gateway with a private or self-signed certificate).")
  Path caCert;

  @Option(names = "--exit-on-eof",
      description = "At the end of stdin, wait for the session to open and the gateway to acknowledge what was sent, "
          + "then exit (1 if either did not happen).")
  boolean exitOnEof;

  @Option(names = "--open-timeout", paramLabel = "DURATION", defaultValue = "30s",
      converter = io.aegis.cli.ctl.CtlCommand.DurationConverter.class,
      description = "With --exit-on-eof: how long to wait for a session that has not opened yet (default ${DEFAULT-VALUE}).")
  java.time.Duration openTimeout;

  @Override
  public Integer call() throws InterruptedException {
    quietSdkLogs();
    if (url == null || url.isBlank()) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(),
          "no gateway URL: give --url (or set AEGIS_URL)");
    }
    if (backendKeys.size() > 2) {
      err.println("aegis: give at most two --backend-key values");
      return 2;
    }
    AgentClientBuilder builder;
    try {
      List<String> pins = new ArrayList<>();
      for (String k : backendKeys) {
        pins.add(KeyFiles.publicKeyArgument(k).base64());
      }
      builder = AgentClient.builder()
          .backend(url)
          .agentId(agentId)
          .identityFile(keyFile)
          .backendKeys(pins.get(0), pins.subList(1, pins.size()).toArray(String[]::new));
      if (dedupFile != null) {
        builder.dedupFile(dedupFile);
      }
      if (caCert != null) {
        builder.sslContext(TrustedCa.sslContext(caCert));
      }
    } catch (IllegalArgumentException | UncheckedIOException | java.security.GeneralSecurityException e) {
      // InvalidKeyException included
      err.println("aegis: " + e.getMessage());
      return 2;
    } catch (java.io.IOException e) {
      err.println("aegis: cannot read --backend-key: " + e.getMessage());
      return 2;
    }
    ReferenceAgent agent;
    try {
      agent = new ReferenceAgent(builder, out, err).openTimeout(openTimeout);
    } catch (IllegalArgumentException | IllegalStateException | UncheckedIOException e) {
      err.println("aegis: " + e.getMessage());
      return 2;
    }
    Thread hook = new Thread(agent::close, "aegis-agent-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      agent.start(subscribe);
    } catch (IllegalArgumentException e) {
      err.println("aegis: " + e.getMessage());
      agent.close();
      return 2;
    }
    int status = agent.run(new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)), exitOnEof);
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException alreadyShuttingDown) {
      // the hook is closing the agent
    }
    agent.close();
    return status;
  }

  /**
   * The reference agent reports connection state on stderr itself; the SDK's own INFO lines would
   * say the same twice. Keep its warnings unless AEGIS_LOG_LEVEL asks for more.
   */
  private static void quietSdkLogs() {
    if (System.getenv("AEGIS_LOG_LEVEL") == null
        && org.slf4j.LoggerFactory.getLogger("io.aegis.agent") instanceof ch.qos.logback.classic.Logger l) {
      l.setLevel(ch.qos.logback.classic.Level.WARN);
    }
  }
}
