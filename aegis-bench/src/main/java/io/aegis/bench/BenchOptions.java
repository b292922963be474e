package io.aegis.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * Options every scenario shares: which gateway (or {@code --spawn} one), credentials, where keys
 * are cached, how the simulated agents connect, and where results go. A picocli mixin.
 */
public final class BenchOptions {
  @Option(names = "--url", defaultValue = "${env:AEGIS_URL:-http://127.0.0.1:8080}", paramLabel = "URL",
      description = "The gateway's base URL (default: $AEGIS_URL, else http://127.0.0.1:8080), or a cluster's nodes, "
          + "comma-separated: agent i connects to node i mod N, sends go through the next node (see --same-node). "
          + "Ignored with --spawn.")
  public String gateway;

  /** The flag's old name, kept for existing scripts. */
  @Option(names = "--gateway", hidden = true, paramLabel = "URL")
  void gateway(String url) {
    gateway = url;
  }

  @Option(names = "--token", paramLabel = "TOKEN",
      description = "Operator token (default: $AEGIS_TOKEN, else $AEGIS_ADMIN_TOKEN). Not needed with --spawn.")
  public String token;

  @Option(names = "--backend-key", paramLabel = "B64|FILE",
      description = "The gateway's backend public key that agents pin: base64 of the 32-byte key, or a PEM file "
          + "(AUTH_PUBLIC_KEY_PATH, by default <AEGIS_DATA_DIR>/auth/public.pem). Not needed with --spawn.")
  public String backendKey;

  @Option(names = "--spawn", description = "Start a gateway (aegis serve) for this run, on a free port with a fresh "
      + "data directory and load limits raised, and stop it at the end.")
  public boolean spawn;

  @Option(names = "--spawn-nodes", paramLabel = "N", defaultValue = "0",
      description = "Start a cluster of N gateways for this run (N >= 2; needs --database-url naming PostgreSQL), with a "
          + "Redis server of its own (or --redis-url); agents are spread over the nodes, round-robin.")
  public int spawnNodes;

  @Option(names = "--redis-url", paramLabel = "URL", description = "With --spawn-nodes: the Redis the nodes share "
      + "(default: a redis-server the bench starts on a free port).")
  public String redisUrl;

  @Option(names = "--same-node", description = "With --spawn-nodes: send to each agent through the node that holds "
      + "its session (default: through another node, so every message crosses the cluster).")
  public boolean sameNode;

  @Option(names = "--database-url", paramLabel = "URL",
      description = "With --spawn: the gateway's store (PostgreSQL URL); default SQLite in its data directory.")
  public String databaseUrl;

  @Option(names = "--gateway-env", paramLabel = "K=V", description = "With --spawn: more gateway settings (repeatable).")
  public Map<String, String> gatewayEnv = new LinkedHashMap<>();

  @Option(names = "--gateway-jvm-opts", paramLabel = "OPTS", split = " ",
      description = "With --spawn: JVM options for the gateway, space-separated (e.g. \"-Xmx2g\").")
  public List<String> gatewayJvmOptions = new ArrayList<>();

  @Option(names = "--gateway-pid", paramLabel = "PID", defaultValue = "-1",
      description = "The external gateway's process id, to read /proc/<pid> and to force a GC before memory readings.")
  public long gatewayPid;

  @Option(names = "--work-dir", paramLabel = "DIR", defaultValue = "${sys:java.io.tmpdir}/aegis-bench",
      description = "Where agent keys are cached and spawned gateways log (default ${DEFAULT-VALUE}).")
  public Path workDir;

  @Option(names = "--prefix", defaultValue = "bench", paramLabel = "P",
      description = "Agent ids are P-000001, P-000002, ... (default ${DEFAULT-VALUE}).")
  public String prefix;

  @Option(names = "--cleanup", description = "At the end (also after a failure), delete the agents this run used from "
      + "the gateway. Not needed with --spawn.")
  public boolean cleanup;

  @Option(names = "--reuse", description = "Skip registering agents that an earlier run registered with this gateway "
      + "(keys from the cache in --work-dir).")
  public boolean reuse;

  @Option(names = "--no-verify", description = "Agents do not verify command signatures (measures the gateway's own "
      + "cost when one machine plays every agent). Every report that uses it says so.")
  public boolean noVerify;

  @Option(names = "--json", paramLabel = "FILE", description = "Also write the results as JSON to FILE.")
  public Path json;

  @Option(names = "--source-addresses", defaultValue = "0", paramLabel = "K",
      description = "Connect from 127.0.0.2 .. 127.0.0.(K+1), round-robin (default: one per 20,000 agents, at least 4).")
  public int sourceAddresses;

  @Option(names = "--event-loops", defaultValue = "0", paramLabel = "E",
      description = "Event loops for the simulated agents (default: 2 x CPUs).")
  public int eventLoops;

  @Option(names = "--register-concurrency", defaultValue = "32", paramLabel = "C",
      description = "Registration requests in flight (default ${DEFAULT-VALUE}).")
  public int registerConcurrency;

  @Option(names = "--http-connections", defaultValue = "64", paramLabel = "C",
      description = "HTTP/1.1 connections to the REST API (default ${DEFAULT-VALUE}).")
  public int httpConnections;

  @Option(names = "--connect-timeout", defaultValue = "30s", paramLabel = "DURATION",
      description = "TCP connect timeout of an agent (default ${DEFAULT-VALUE}).", converter = DurationConverter.class)
  public Duration connectTimeout;

  @Option(names = "--max-frame", defaultValue = "1048576", paramLabel = "BYTES",
      description = "Largest frame an agent accepts (default ${DEFAULT-VALUE}).")
  public int maxFrameBytes;

  /** The operator token: {@code --token}, else {@code $AEGIS_TOKEN}, else {@code $AEGIS_ADMIN_TOKEN}. */
  public String token() {
    for (String t : new String[] {token, System.getenv("AEGIS_TOKEN"), System.getenv("AEGIS_ADMIN_TOKEN")}) {
      if (t != null && !t.isBlank()) {
        return t.trim();
      }
    }
    return null;
  }
}
