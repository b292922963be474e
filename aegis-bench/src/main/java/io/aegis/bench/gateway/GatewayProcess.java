package io.aegis.bench.gateway;

import io.aegis.protocol.IdentityPublicKey;
import io.aegis.protocol.KeyFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A gateway started by the bench ({@code --spawn}): {@code aegis serve} in its own JVM, on a free
 * loopback port, with a fresh data directory (SQLite there, or {@code --database-url}), a random
 * operator token and limits raised for load ({@link #LOAD_SETTINGS}). Its output goes to
 * {@code gateway-<port>.log} in the bench work directory. {@link #close()} stops it (SIGTERM,
 * then SIGKILL after 20 s) and deletes the data directory.
 *
 * <p>The child inherits this process's open-file limit, which {@code bin/aegis} raised to the
 * hard limit.
 */
public final class GatewayProcess implements AutoCloseable {
  /** The class whose {@code main} runs {@code serve}: the {@code bin/aegis} entry point. */
  public static final String MAIN_CLASS = "io.aegis.cli.AegisCommand";

  /** Settings that would throttle a benchmark, raised; a {@code --gateway-env} given by the user wins. */
  public static final Map<String, String> LOAD_SETTINGS = Map.ofEntries(
      Map.entry("AEGIS_HANDSHAKE_RATE_LIMIT", "0"),
      Map.entry("AEGIS_MAX_PENDING_HANDSHAKES", "1000000"),
      Map.entry("AEGIS_SESSION_RATE_LIMIT", "0"),
      Map.entry("AEGIS_MAX_SESSIONS", "1000000"),
      Map.entry("AEGIS_AUTH_RATE_LIMIT", "0"),
      // The bench's agents come from a few loopback addresses, tens of thousands each.
      Map.entry("AEGIS_MAX_CONNECTIONS_PER_ADDRESS", "1000000"),
      Map.entry("AEGIS_MAX_PENDING_HANDSHAKES_PER_ADDRESS", "1000000"),
      Map.entry("AEGIS_OPERATOR_RATE_LIMIT", "0"),
      Map.entry("AEGIS_AGENT_RATE_LIMIT", "0"),
      Map.entry("AEGIS_ENROLL_RATE_LIMIT", "0"),
      Map.entry("AEGIS_HANDSHAKE_TIMEOUT", "30s"),
      Map.entry("AEGIS_LOG_LEVEL", "WARN"));

  private final Process process;
  private final Path dataDir;
  private final URI baseUrl;
  private final String token;
  private final Path log;
  private final Map<String, String> env;

  private GatewayProcess(Process process, Path dataDir, URI baseUrl, String token, Path log, Map<String, String> env) {
    this.process = process;
    this.dataDir = dataDir;
    this.baseUrl = baseUrl;
    this.token = token;
    this.log = log;
    this.env = env;
  }

  /**
   * Starts a gateway and waits until {@code /readyz} answers 200 (at most 120 s).
   *
   * @param databaseUrl PostgreSQL URL, or null for SQLite in the data directory
   * @param extraEnv    more environment for the gateway ({@code --gateway-env K=V})
   * @param jvmOptions  more JVM options for the gateway ({@code --gateway-jvm-opts})
   */
  public static GatewayProcess start(Path workDir, String databaseUrl, Map<String, String> extraEnv,
                                     List<String> jvmOptions) throws IOException, InterruptedException {
    int port = freePort();
    Path dataDir = Files.createTempDirectory("aegis-bench-gateway-");
    byte[] t = new byte[32];
    new SecureRandom().nextBytes(t);
    // The nodes of a spawned cluster share one token (given in extraEnv).
    String token = extraEnv.getOrDefault("AEGIS_ADMIN_TOKEN",
        "bench-" + Base64.getUrlEncoder().withoutPadding().encodeToString(t));
    Map<String, String> env = new LinkedHashMap<>(LOAD_SETTINGS);
    env.put("WEBSOCKET_PORT", Integer.toString(port));
    env.put("AEGIS_BIND_ADDRESS", "127.0.0.1");
    env.put("AEGIS_DATA_DIR", dataDir.toString());
    env.put("AEGIS_ADMIN_TOKEN", token);
    if (databaseUrl != null && !databaseUrl.isBlank()) {
      env.put("DATABASE_URL", databaseUrl);
    }
    env.putAll(extraEnv);

    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    // The JVM options bin/aegis serve uses, so that the figures are the product's.
    cmd.addAll(List.of("-XX:+UseG1GC", "-Xss512k", "-Dfile.encoding=UTF-8", "--enable-native-access=ALL-UNNAMED",
        "-XX:MinHeapFreeRatio=10", "-XX:MaxHeapFreeRatio=30"));
    if (Runtime.version().feature() >= 25) {
      cmd.add("-XX:+UseCompactObjectHeaders");
    }
    cmd.addAll(jvmOptions);
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), MAIN_CLASS, "serve"));

    Files.createDirectories(workDir);
    Path log = workDir.resolve("gateway-" + port + ".log");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().remove("DATABASE_URL");
    pb.environment().putAll(env);
    Process p = pb.start();
    URI base = URI.create("http://127.0.0.1:" + port);
    GatewayProcess g = new GatewayProcess(p, dataDir, base, token, log, env);
    g.awaitReady();
    return g;
  }

  private void awaitReady() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("the spawned gateway exited with " + process.exitValue() + "; see " + log);
      }
      try {
        HttpURLConnection c = (HttpURLConnection) baseUrl.resolve("/readyz").toURL().openConnection();
        c.setConnectTimeout(1000);
        c.setReadTimeout(5000);
        if (c.getResponseCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      }
      Thread.sleep(200);
    }
    close();
    throw new IllegalStateException("the spawned gateway was not ready within 120 s; see " + log);
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  public URI baseUrl() {
    return baseUrl;
  }

  public String token() {
    return token;
  }

  public long pid() {
    return process.pid();
  }

  public Path log() {
    return log;
  }

  /** The environment the gateway was started with, token hidden (for the report). */
  public Map<String, String> reportedEnv() {
    Map<String, String> m = new LinkedHashMap<>(env);
    m.put("AEGIS_ADMIN_TOKEN", "(random)");
    m.computeIfPresent("DATABASE_URL", (k, v) -> v.replaceAll("//[^@/]*@", "//***@"));
    return m;
  }

  /** Where the gateway keeps its backend identity key files (the nodes of a cluster share node 0's). */
  public Path authDir() {
    return dataDir.resolve("auth");
  }

  /** The backend identity public key the gateway created in its data directory. */
  public IdentityPublicKey backendKey() {
    try {
      return KeyFiles.readPublicKey(dataDir.resolve("auth").resolve("public.pem"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the spawned gateway's backend key", e);
    }
  }

  /** {@code kill -9}: the node dies as in a crash, without draining or closing anything. */
  public void kill() throws InterruptedException {
    process.destroyForcibly(); // SIGKILL
    process.waitFor(10, TimeUnit.SECONDS);
  }

  /** The node's {@code AEGIS_NODE_ID}. */
  public String nodeId() {
    return env.getOrDefault("AEGIS_NODE_ID", "");
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    try (Stream<Path> files = Files.walk(dataDir)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException e) {
      // best effort
    }
  }
}
