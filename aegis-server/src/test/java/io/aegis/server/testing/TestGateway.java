package io.aegis.server.testing;

import io.aegis.server.AegisServer;
import io.aegis.server.config.Config;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A real gateway node for tests: its own data directory (and, on PostgreSQL, its own schema),
 * an ephemeral port, and a known operator token. {@link #restart()} stops and starts the node on
 * the same store, for durability tests; {@link #stop()} hands the store to another process.
 * Close it to remove everything it created.
 *
 * <pre>{@code
 * try (TestGateway gw = TestGateway.start(StoreKind.SQLITE)) {
 *   ApiClient.Response r = gw.operator().get("/api/v1/agents");
 * }
 * }</pre>
 */
public final class TestGateway implements AutoCloseable {
  /** The operator token every test gateway accepts. */
  public static final String OPERATOR_TOKEN = "test-operator-token-0123456789abcdef0123456789";

  private final StoreKind store;
  private final Path dataDir;
  private final String schema;
  private Map<String, String> env;
  private AegisServer server;
  private volatile javax.net.ssl.SSLContext clientSsl;

  private TestGateway(StoreKind store, Map<String, String> overrides) {
    this.store = store;
    try {
      this.dataDir = Files.createTempDirectory("aegis-test-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    this.schema = store == StoreKind.POSTGRESQL ? TestPostgres.createSchema() : null;
    Map<String, String> e = new HashMap<>();
    e.put("WEBSOCKET_PORT", "0");
    e.put("AEGIS_DATA_DIR", dataDir.toString());
    e.put("AEGIS_ADMIN_TOKEN", OPERATOR_TOKEN);
    e.put("AEGIS_NODE_ID", "test-node");
    // Tests stop nodes often: close their sessions at once rather than over the 30 s default.
    e.put("AEGIS_DRAIN_PERIOD", "0s");
    // Many tests provoke failed authentications, or enroll many agents, from 127.0.0.1 on purpose;
    // these per-address limits have tests of their own (AbuseLimitsTest), which set them.
    e.put("AEGIS_AUTH_FAILURE_RATE_LIMIT", "0");
    e.put("AEGIS_ENROLL_RATE_LIMIT", "0");
    if (schema != null) {
      e.put("DATABASE_URL", TestPostgres.databaseUrl(schema));
    }
    e.putAll(overrides);
    this.env = Map.copyOf(e);
  }

  public static TestGateway start(StoreKind store) {
    return start(store, Map.of());
  }

  /** Starts a node with extra environment variables (they override the test defaults). */
  public static TestGateway start(StoreKind store, Map<String, String> env) {
    TestGateway gw = new TestGateway(store, env);
    try {
      gw.server = AegisServer.start(Config.fromEnvironment(gw.env));
    } catch (RuntimeException e) {
      gw.cleanUp();
      throw e;
    }
    return gw;
  }

  /** Stops the node and starts a new one on the same store and data directory (a new port). */
  public TestGateway restart() {
    return restart(Map.of());
  }

  /**
   * As {@link #restart()}, with {@code changes} applied to the environment for this and later
   * restarts (an empty value unsets a variable): the operator changed the configuration.
   */
  public TestGateway restart(Map<String, String> changes) {
    server.close();
    Map<String, String> e = new HashMap<>(env);
    e.putAll(changes);
    env = Map.copyOf(e);
    server = AegisServer.start(Config.fromEnvironment(env));
    return this;
  }

  /**
   * Stops the node but keeps its data directory and schema, so that another node (for example a
   * {@link GatewayProcess} started with {@link #env()}) can open the same store. {@link #restart()}
   * starts it again; {@link #close()} still removes everything.
   */
  public TestGateway stop() {
    server.close();
    return this;
  }

  /**
   * Makes the clients this gateway hands out ({@link #operator()}, {@link TestAgent#socket()}, …)
   * trust what {@code ssl} trusts: for a gateway serving TLS with a test certificate.
   */
  public TestGateway trusting(javax.net.ssl.SSLContext ssl) {
    this.clientSsl = ssl;
    return this;
  }

  /** The client TLS context set by {@link #trusting}, or {@code null} for the JDK default. */
  public javax.net.ssl.SSLContext clientSsl() {
    return clientSsl;
  }

  public AegisServer server() {
    return server;
  }

  public StoreKind store() {
    return store;
  }

  public Path dataDir() {
    return dataDir;
  }

  /** The environment this node was started with (for starting a second process on the same store). */
  public Map<String, String> env() {
    return env;
  }

  public String baseUrl() {
    return server.baseUrl();
  }

  /** A client that sends the operator token. */
  public ApiClient operator() {
    return new ApiClient(baseUrl(), OPERATOR_TOKEN, clientSsl);
  }

  /** A client that sends no token. */
  public ApiClient anonymous() {
    return new ApiClient(baseUrl(), null, clientSsl);
  }

  /** A client that sends {@code token}. */
  public ApiClient withToken(String token) {
    return new ApiClient(baseUrl(), token, clientSsl);
  }

  @Override
  public void close() {
    try {
      if (server != null) {
        server.close();
      }
    } finally {
      cleanUp();
    }
  }

  private void cleanUp() {
    if (schema != null) {
      TestPostgres.dropSchema(schema);
    }
    try (Stream<Path> files = Files.walk(dataDir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // a temp directory left behind is harmless
    }
  }
}
