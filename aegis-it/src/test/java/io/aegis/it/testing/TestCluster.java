package io.aegis.it.testing;

import io.aegis.protocol.IdentityKeyPair;
import io.aegis.protocol.IdentityPublicKey;
import io.aegis.protocol.KeyFiles;
import io.aegis.server.testing.ApiClient;
import io.aegis.server.testing.FaultProxy;
import io.aegis.server.testing.GatewayProcess;
import io.aegis.server.testing.TestAgent;
import io.aegis.server.testing.TestGateway;
import io.aegis.server.testing.TestPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * A cluster of gateway nodes for tests, as production runs it: each node a JVM of its own on a port
 * of its own, all on one PostgreSQL schema (the cluster) and one Redis server of the test's own,
 * behind nginx configured from {@code deploy/nginx/aegis.conf}. Nodes are named {@code node-0},
 * {@code node-1}, ...; a node keeps its port across {@link #kill}/{@link #startNode(int)}, so nginx
 * needs no reload. All nodes share one backend identity key (agents pin it). Close it to stop
 * everything and drop what it created.
 *
 * <pre>{@code
 * try (TestCluster cluster = TestCluster.start(3)) {
 *   TestAgent agent = cluster.register("a-1").at(cluster.url(2));   // its session on node-2
 *   cluster.operator(0).post("/api/v1/agents/a-1/send", ...);       // sent through node-0
 * }
 * }</pre>
 */
public final class TestCluster implements AutoCloseable {
  private static final SecureRandom RANDOM = new SecureRandom();

  private final String schema;
  private final RedisServer redis;
  private final Path dataDir;
  private final Map<String, String> env;
  private final List<Integer> ports = new ArrayList<>();
  private final List<GatewayProcess> nodes = new ArrayList<>();
  private final List<Links> links = new ArrayList<>();
  private Nginx nginx;

  /**
   * The fault proxies on node {@code i}'s links in a cluster started with {@link #startFaulty}: to
   * PostgreSQL, to Redis, and from the load balancer (and the tests' senders) to the node.
   */
  public record Links(FaultProxy store, FaultProxy redis, FaultProxy front) {
    /** Sets all three links of the node at once (a partition of the node). */
    public void mode(FaultProxy.Mode mode) {
      store.mode(mode);
      redis.mode(mode);
      front.mode(mode);
    }

    void close() {
      store.close();
      redis.close();
      front.close();
    }
  }

  private TestCluster(String schema, RedisServer redis, Path dataDir, Map<String, String> env) {
    this.schema = schema;
    this.redis = redis;
    this.dataDir = dataDir;
    this.env = env;
  }

  /** Starts {@code n} nodes and nginx in front of them. */
  public static TestCluster start(int n) {
    return start(n, Map.of());
  }

  /** As {@link #start(int)}, with extra environment for every node (overriding the test defaults). */
  public static TestCluster start(int n, Map<String, String> extra) {
    return start(n, extra, false);
  }

  /**
   * As {@link #start(int, Map)}, with every link of every node through a {@link FaultProxy}
   * ({@link #links}): node → PostgreSQL, node → Redis, load balancer → node.
   */
  public static TestCluster startFaulty(int n, Map<String, String> extra) {
    return start(n, extra, true);
  }

  private static TestCluster start(int n, Map<String, String> extra, boolean faulty) {
    TestPostgres.require();
    Tools.require("nginx", "nginx-light");
    RedisServer redis = RedisServer.start();
    String schema = TestPostgres.createSchema();
    try {
      Path dataDir = Files.createTempDirectory("aegis-it-cluster-");
      Map<String, String> env = new HashMap<>();
      env.put("DATABASE_URL", TestPostgres.databaseUrl(schema));
      env.put("REDIS_URL", redis.url());
      env.put("AEGIS_DATA_DIR", dataDir.toString());
      env.put("AEGIS_ADMIN_TOKEN", TestGateway.OPERATOR_TOKEN);
      // Short enough for tests to watch: a drain takes 2 s, a dead node is known after 3 s, and
      // the sweep (the fallback when notices are lost) runs every second.
      env.put("AEGIS_DRAIN_PERIOD", "2s");
      env.put("AEGIS_NODE_TTL", "3s");
      env.put("AEGIS_DELIVERY_SWEEP_INTERVAL", "1s");
      env.put("AEGIS_DB_POOL_SIZE", "4");
      env.put("AEGIS_EVENT_LOOPS", "2");
      env.put("AEGIS_BLOCKING_POOL_SIZE", "8");
      env.put("AEGIS_TEST_LOG_LEVEL", "INFO"); // kept in target/cluster-logs/ when the cluster closes
      env.putAll(extra);
      TestCluster cluster = new TestCluster(schema, redis, dataDir, Map.copyOf(env));
      for (int i = 0; i < n; i++) {
        int port = Tools.freePort();
        cluster.ports.add(port);
        cluster.nodes.add(null);
        if (faulty) {
          java.net.URI r = java.net.URI.create(redis.url());
          cluster.links.add(new Links(new FaultProxy(TestPostgres.HOST, Integer.parseInt(TestPostgres.PORT)),
              new FaultProxy(r.getHost(), r.getPort()), new FaultProxy("127.0.0.1", port)));
        }
      }
      // The first node creates the backend key in the shared data directory; the others read it.
      cluster.startNode(0);
      CompletableFuture.allOf(IntStream.range(1, n).mapToObj(i -> CompletableFuture.runAsync(() -> cluster.startNode(i)))
          .toArray(CompletableFuture[]::new)).join();
      cluster.nginx = Nginx.start(faulty ? cluster.links.stream().map(l -> l.front().port()).toList() : cluster.ports);
      return cluster;
    } catch (IOException e) {
      TestPostgres.dropSchema(schema);
      redis.close();
      throw new UncheckedIOException(e);
    } catch (RuntimeException e) {
      TestPostgres.dropSchema(schema);
      redis.close();
      throw e;
    }
  }

  /** Starts node {@code i} (again), on its port, with the cluster's environment. */
  public void startNode(int i) {
    startNode(i, Map.of());
  }

  /** As {@link #startNode(int)}, with {@code changes} to this node's environment for this start. */
  public void startNode(int i, Map<String, String> changes) {
    Map<String, String> e = new HashMap<>(env);
    e.put("AEGIS_NODE_ID", nodeId(i));
    e.put("WEBSOCKET_PORT", String.valueOf(ports.get(i)));
    if (!links.isEmpty()) {
      Links l = links.get(i);
      e.put("DATABASE_URL", TestPostgres.databaseUrl(schema, "127.0.0.1", l.store().port()));
      e.put("REDIS_URL", "redis://127.0.0.1:" + l.redis().port());
    }
    e.putAll(changes);
    GatewayProcess p = GatewayProcess.start(e);
    synchronized (nodes) {
      nodes.set(i, p);
    }
  }

  public static String nodeId(int i) {
    return "node-" + i;
  }

  /** The running process of node {@code i}. */
  public GatewayProcess node(int i) {
    synchronized (nodes) {
      return nodes.get(i);
    }
  }

  public int size() {
    return ports.size();
  }

  /** {@code kill -9} of node {@code i}. */
  public void kill(int i) {
    node(i).kill();
  }

  /** The base URL of node {@code i} itself. */
  public String url(int i) {
    return "http://127.0.0.1:" + ports.get(i);
  }

  /** The fault proxies on node {@code i}'s links (a cluster started with {@link #startFaulty}). */
  public Links links(int i) {
    return links.get(i);
  }

  /** The base URL of node {@code i} through its front fault proxy (a cluster started with {@link #startFaulty}). */
  public String frontUrl(int i) {
    return "http://127.0.0.1:" + links.get(i).front().port();
  }

  /** The base URL of the load balancer (nginx). */
  public String lbUrl() {
    return nginx.url();
  }

  public Nginx nginx() {
    return nginx;
  }

  public RedisServer redis() {
    return redis;
  }

  /** An operator's client of node {@code i}. */
  public ApiClient operator(int i) {
    return new ApiClient(url(i), TestGateway.OPERATOR_TOKEN);
  }

  /** An operator's client through the load balancer. */
  public ApiClient operator() {
    return new ApiClient(lbUrl(), TestGateway.OPERATOR_TOKEN);
  }

  /** The JDBC URL of the cluster's database (its own schema), for tests that look into the store. */
  public String databaseUrl() {
    return env.get("DATABASE_URL");
  }

  /** The cluster's backend public key, which agents pin. */
  public IdentityPublicKey backendKey() {
    try {
      return KeyFiles.readPublicKey(dataDir.resolve("auth/public.pem"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Registers an agent (through node 0) and returns it talking to the load balancer. */
  public TestAgent register(String agentId) {
    return register(agentId, Map.of());
  }

  public TestAgent register(String agentId, Map<String, String> labels) {
    IdentityKeyPair key = IdentityKeyPair.generate(RANDOM);
    var r = operator(0).post("/api/v1/agents", Map.of("agent_id", agentId, "public_key", key.publicKey().base64(),
        "labels", labels));
    if (r.status() != 201) {
      throw new IllegalStateException("cannot register " + agentId + ": " + r);
    }
    return new TestAgent(lbUrl(), "/ws/agent", backendKey(), agentId, key);
  }

  /** Copies every node's log and nginx's to target/cluster-logs/, where a failed run can be read. */
  private void keepLogs() {
    try {
      Path dir = Path.of("target", "cluster-logs", schema);
      Files.createDirectories(dir);
      Files.writeString(dir.resolve("cluster.log"), logs());
    } catch (IOException | RuntimeException ignored) {
      // logs are a courtesy
    }
  }

  /** The logs of every node, for a failing test's message. */
  public String logs() {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < size(); i++) {
      GatewayProcess p = node(i);
      b.append("\n===== ").append(nodeId(i)).append(" =====\n").append(p == null ? "(not started)" : p.log());
    }
    return b.append("\n===== nginx =====\n").append(nginx == null ? "" : nginx.log()).toString();
  }

  @Override
  public void close() {
    keepLogs();
    for (int i = 0; i < size(); i++) {
      GatewayProcess p = node(i);
      if (p != null) {
        p.kill();
        p.close();
      }
    }
    if (nginx != null) {
      nginx.close();
    }
    links.forEach(Links::close);
    redis.close();
    TestPostgres.dropSchema(schema);
    try (Stream<Path> files = Files.walk(dataDir)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException ignored) {
      // a temp directory left behind is harmless
    }
  }
}
