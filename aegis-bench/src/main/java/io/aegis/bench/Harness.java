package io.aegis.bench;

import io.aegis.bench.agent.AgentFleet;
import io.aegis.bench.agent.AgentIdentity;
import io.aegis.bench.agent.Backoff;
import io.aegis.bench.agent.FleetStats;
import io.aegis.bench.agent.KeyCache;
import io.aegis.bench.gateway.GatewayClient;
import io.aegis.bench.gateway.GatewayProbe;
import io.aegis.bench.gateway.GatewayProcess;
import io.aegis.bench.gateway.Registrar;
import io.aegis.bench.report.CpuMeter;
import io.aegis.bench.report.Progress;
import io.aegis.bench.report.Report;
import io.aegis.protocol.IdentityPublicKey;
import io.aegis.protocol.KeyFiles;
import io.aegis.protocol.PinnedBackendKeys;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What every scenario needs, set up from {@link BenchOptions}: the gateway (external, or spawned),
 * its REST client and {@link GatewayProbe}, the pinned backend key, the simulated agents'
 * identities (cached keys, registered through the API), an {@link AgentFleet}, the live
 * {@link Progress} line, the {@link Report} with the run's conditions, and a {@link CpuMeter}.
 *
 * <p>Used from the scenario's main thread. {@link #close()} stops everything it started.
 */
public final class Harness implements AutoCloseable {
  private static final String TOKEN_REFUSED = "the gateway refused the operator token (HTTP 401): check --token or AEGIS_TOKEN";
  private final BenchOptions options;
  private final Report report;
  private final Progress progress = new Progress(System.err);
  private final GatewayProcess spawned;
  private final io.aegis.bench.gateway.SpawnedCluster cluster; // or null
  private final URI gateway;
  private final List<URI> gateways;
  private final List<GatewayClient> apis = new ArrayList<>();
  private final Vertx vertx;
  private final GatewayClient api;
  private final GatewayProbe probe;
  private final IdentityPublicKey backendKey;
  private final CpuMeter cpu;
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private KeyCache cache;
  /** The agents this run registered or reused: what --cleanup deletes. */
  private List<AgentIdentity> used = List.of();

  public Harness(BenchOptions o, String scenario) throws IOException, InterruptedException {
    this.options = o;
    this.report = new Report(scenario);
    if (o.spawnNodes == 1 || o.spawnNodes < 0) {
      throw new BenchException("--spawn-nodes takes 2 or more (one node: --spawn)");
    }
    if (o.spawnNodes >= 2) {
      progress.say("starting a cluster of " + o.spawnNodes + " gateways on PostgreSQL and Redis ...");
      cluster = io.aegis.bench.gateway.SpawnedCluster.start(o.spawnNodes, o.workDir, o.databaseUrl, o.redisUrl,
          o.gatewayEnv, o.gatewayJvmOptions);
      spawned = cluster.nodes().get(0);
      gateway = spawned.baseUrl();
      backendKey = spawned.backendKey();
      List<URI> urls = new ArrayList<>();
      StringBuilder pids = new StringBuilder();
      for (GatewayProcess node : cluster.nodes()) {
        urls.add(node.baseUrl());
        pids.append(pids.length() == 0 ? "" : ", ").append(node.pid()).append(" at ").append(node.baseUrl());
      }
      gateways = List.copyOf(urls);
      report.condition("gateway", "a cluster of " + o.spawnNodes + " nodes spawned by the bench (pids " + pids
          + "), one PostgreSQL database, Redis " + (o.redisUrl == null ? "spawned by the bench" : "given"));
      report.condition("gateway_settings", spawned.reportedEnv());
      report.condition("sends", o.sameNode ? "through the node holding the recipient (--same-node)"
          : "through another node than the recipient's (cross-node)");
      progress.say("cluster up: " + gateways);
    } else if (o.spawn) {
      cluster = null;
      progress.say("starting a gateway (" + (o.databaseUrl == null ? "SQLite" : "PostgreSQL") + ") ...");
      spawned = GatewayProcess.start(o.workDir, o.databaseUrl, o.gatewayEnv, o.gatewayJvmOptions);
      gateway = spawned.baseUrl();
      backendKey = spawned.backendKey();
      report.condition("gateway", "spawned by the bench, pid " + spawned.pid() + ", " + gateway + ", log " + spawned.log());
      report.condition("gateway_settings", spawned.reportedEnv());
      progress.say("gateway up at " + gateway + " (pid " + spawned.pid() + ", log " + spawned.log() + ")");
      gateways = List.of(gateway);
    } else {
      cluster = null;
      spawned = null;
      // A comma-separated list is a cluster's nodes: agents spread over them like --spawn-nodes'.
      List<URI> urls = new ArrayList<>();
      for (String u : o.gateway.split(",")) {
        try {
          URI uri = URI.create(u.strip());
          if (uri.getHost() == null || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))) {
            throw new IllegalArgumentException("expected http://host:port or https://host:port");
          }
          urls.add(uri);
        } catch (IllegalArgumentException | NullPointerException e) {
          throw new BenchException("--url " + u.strip() + " is not a gateway URL: " + e.getMessage());
        }
      }
      gateway = urls.get(0);
      if (o.backendKey == null) {
        throw new BenchException("--backend-key is required for an external gateway (base64, or its public.pem); "
            + "or use --spawn");
      }
      if (o.token() == null) {
        throw new BenchException("an operator token is required: --token, AEGIS_TOKEN or AEGIS_ADMIN_TOKEN; or use "
            + "--spawn");
      }
      try {
        backendKey = KeyFiles.publicKeyArgument(o.backendKey);
      } catch (IllegalArgumentException e) {
        throw new BenchException("--backend-key " + o.backendKey + " is neither a key file nor a base64 public key: "
            + e.getMessage());
      }
      report.condition("gateway", "external, " + (urls.size() > 1 ? urls.size() + " nodes " + urls : gateway)
          + (o.gatewayPid > 0 ? ", pid " + o.gatewayPid : ""));
      gateways = List.copyOf(urls);
    }
    report.condition("store", o.databaseUrl != null ? "PostgreSQL" : o.spawn ? "SQLite" : "as configured on the gateway");
    report.condition("signature_verification_in_agents", o.noVerify ? "OFF (--no-verify)" : "on");
    if (o.noVerify) {
      report.note("--no-verify: the simulated agents did NOT verify command signatures; figures show the "
          + "gateway's cost, not what real agents pay.");
    }
    this.vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
    String token = spawned != null ? spawned.token() : o.token();
    for (URI g : gateways) {
      apis.add(new GatewayClient(vertx, g, token, o.httpConnections));
    }
    this.api = apis.get(0);
    long pid = spawned != null ? spawned.pid() : o.gatewayPid;
    this.probe = new GatewayProbe(api, pid);
    this.cpu = newCpuMeter();
  }

  public BenchOptions options() {
    return options;
  }

  public Report report() {
    return report;
  }

  public Progress progress() {
    return progress;
  }

  public GatewayClient api() {
    return api;
  }

  /**
   * The REST client to send to agent {@code agentIndex} through: in a spawned cluster the node
   * after the one holding it (or the same one, with {@code --same-node}); else the gateway.
   */
  public GatewayClient apiFor(int agentIndex) {
    int node = agentIndex % apis.size();
    return apis.get(options.sameNode ? node : (node + 1) % apis.size());
  }

  /** The gateways (one, or the nodes of a spawned cluster). */
  public List<URI> gateways() {
    return gateways;
  }

  /** The nodes of a spawned cluster ({@code --spawn-nodes}), or an empty list. */
  public List<GatewayProcess> clusterNodes() {
    return cluster == null ? List.of() : cluster.nodes();
  }

  /** A CPU meter over this process and every gateway process it knows (all the nodes of a cluster). */
  public CpuMeter newCpuMeter() {
    if (cluster != null) {
      return new CpuMeter(cluster.nodes().stream().map(GatewayProcess::pid).toList());
    }
    return new CpuMeter(spawned != null ? spawned.pid() : options.gatewayPid);
  }

  public GatewayProbe probe() {
    return probe;
  }

  public Vertx vertx() {
    return vertx;
  }

  public URI gateway() {
    return gateway;
  }

  public CpuMeter cpu() {
    return cpu;
  }

  public boolean spawned() {
    return spawned != null;
  }

  /** Checks that both processes may open enough files for {@code connections} connections; throws if not. */
  public void checkOpenFiles(long connections) {
    OpenFiles mine = OpenFiles.ofThisProcess();
    report.condition("bench_open_files_limit", mine.soft() + " soft / " + mine.hard() + " hard");
    String problem = mine.problem("This load generator", connections);
    if (problem != null) {
      throw new BenchException(problem);
    }
    long gw = probe.maxOpenFiles();
    report.condition("gateway_open_files_limit", gw);
    if (gw > 0 && connections + OpenFiles.OVERHEAD > gw) {
      throw new BenchException("The gateway may open only " + gw + " files, too few for " + connections
          + " sessions. Start it with a higher limit (bin/aegis serve raises its soft limit to the hard limit).");
    }
  }

  /**
   * The identities of agents 1..n (keys from the cache, new ones generated), registered with the
   * gateway: all of them, or with {@code --reuse} only those no earlier run registered here.
   */
  public List<AgentIdentity> agents(int n) throws InterruptedException {
    checkOpenFiles(n);
    // Spawned gateways are new each run: one cache for all of them saves generating keys again.
    cache = KeyCache.open(options.workDir, spawned != null ? "spawned" : gateway.toString(), options.prefix);
    if (spawned != null) {
      cache.forgetRegistrations(); // a new gateway knows nobody
    }
    List<AgentIdentity> ids = cache.identities(options.prefix, n, new SecureRandom());
    used = ids;
    cache.save();
    List<AgentIdentity> todo = options.reuse ? ids.stream().filter(a -> !cache.isRegistered(a.agentId())).toList() : ids;
    report.parameter("agents_registered_by_this_run", todo.size());
    if (todo.isEmpty()) {
      progress.say("all " + n + " agents registered by an earlier run (--reuse)");
      return ids;
    }
    // A wrong token is found with one bodiless request before any registration starts.
    if (GatewayClient.await(api.get("/api/v1/agents?limit=1"), 60, "checking the operator token")
        .status() == 401) {
      throw new BenchException(TOKEN_REFUSED);
    }
    Registrar registrar = new Registrar(api, options.registerConcurrency, Map.of("bench", options.prefix));
    long t0 = System.nanoTime();
    progress.phase("register", () -> String.format("%d/%d registered, failed %s", registrar.done.sum(), todo.size(),
        FleetStats.brief(registrar.failed)));
    try {
      registrar.register(todo, cache).get(30, TimeUnit.MINUTES);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new BenchException("registration failed: " + Failures.describe(e.getCause(), gateway));
    } catch (java.util.concurrent.TimeoutException e) {
      throw new BenchException("registration did not finish within 30 minutes");
    } finally {
      cache.save();
    }
    double s = (System.nanoTime() - t0) / 1e9;
    progress.say(String.format("registered %d agents in %.1f s (%.0f/s)", registrar.done.sum(), s, registrar.done.sum() / s));
    if (registrar.failed.keySet().stream().anyMatch(r -> r.startsWith("http_401"))) {
      throw new BenchException(TOKEN_REFUSED);
    }
    if (!registrar.failed.isEmpty()) {
      throw new BenchException("registration failed for some agents: " + FleetStats.brief(registrar.failed)
          + " (is the operator token right? an agent id taken by a non-bench agent?)");
    }
    return ids;
  }

  /** A fleet for {@code ids}; the caller closes it (or lets {@link #close()} do it). */
  public AgentFleet fleet(List<AgentIdentity> ids, Backoff retry, boolean reconnectLost) {
    List<String> sources = sourceAddresses(ids.size());
    int loops = options.eventLoops > 0 ? options.eventLoops : 2 * Runtime.getRuntime().availableProcessors();
    report.parameter("source_addresses", sources.size() == 1 && sources.get(0).isEmpty() ? "default" :
        sources.get(0) + " .. " + sources.get(sources.size() - 1) + " (" + sources.size() + ")");
    report.parameter("agent_event_loops", loops);
    AgentFleet fleet = new AgentFleet(new AgentFleet.Settings(gateways, "/ws/agent", PinnedBackendKeys.of(backendKey),
        !options.noVerify, sources, loops, retry, reconnectLost, options.connectTimeout, options.maxFrameBytes), ids);
    closeables.add(fleet);
    return fleet;
  }

  private List<String> sourceAddresses(int agents) {
    boolean loopback;
    try {
      loopback = InetAddress.getByName(gateway.getHost()).isLoopbackAddress();
    } catch (IOException e) {
      loopback = false;
    }
    if (!loopback) {
      return List.of(""); // the OS picks; spreading needs local addresses on a real interface
    }
    int k = options.sourceAddresses > 0 ? options.sourceAddresses : Math.max(4, (agents + 19_999) / 20_000);
    List<String> out = new ArrayList<>();
    for (int i = 0; i < k; i++) {
      out.add("127.0." + ((i + 2) / 256) + "." + ((i + 2) % 256));
    }
    return out;
  }

  /** Prints the report, writes JSON if asked. */
  public void finish() throws IOException {
    CpuMeter.Usage u = cpu.stop();
    report.condition("cpu_seconds_machine", round(u.machine()));
    report.condition("cpu_seconds_bench", round(u.bench()));
    if (u.gateway() >= 0) {
      report.condition("cpu_seconds_gateway", round(u.gateway()));
    }
    report.condition("cpu_seconds_other_processes", round(u.others()));
    report.condition("wall_seconds", round(u.seconds()));
    progress.close();
    report.print(System.out);
    if (options.json != null) {
      report.writeJson(options.json);
      System.err.println("results written to " + options.json);
    }
  }

  public static double round(double v) {
    return Math.round(v * 100) / 100.0;
  }

  /** With --cleanup: deletes the agents this run used (their registrations are forgotten in the key cache). */
  private void cleanUp() {
    if (!options.cleanup || spawned != null || used.isEmpty()) {
      return;
    }
    Registrar registrar = new Registrar(api, options.registerConcurrency, Map.of());
    progress.phase("cleanup", () -> String.format("%d/%d deleted, failed %s", registrar.done.sum(), used.size(),
        FleetStats.brief(registrar.failed)));
    try {
      registrar.delete(used, cache).get(30, TimeUnit.MINUTES);
      cache.save();
      progress.say("cleanup: deleted " + registrar.done.sum() + " of " + used.size() + " agents"
          + (registrar.failed.isEmpty() ? "" : "; not deleted: " + FleetStats.brief(registrar.failed)));
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      progress.say("cleanup did not finish: " + Failures.describe(e, gateway));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    for (AutoCloseable c : closeables) {
      try {
        c.close();
      } catch (Exception e) {
        // best effort
      }
    }
    closeables.clear();
    cleanUp();
    progress.close();
    apis.forEach(GatewayClient::close);
    vertx.close();
    if (cluster != null) {
      cluster.close();
    } else if (spawned != null) {
      spawned.close();
    }
  }
}
