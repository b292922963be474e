package io.aegis.bench.gateway;

import io.aegis.bench.BenchException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A cluster started by the bench ({@code --spawn-nodes N}): a Redis server of its own on a free
 * loopback port (unless {@code --redis-url} names one), and N gateways on one PostgreSQL database,
 * each a JVM on its own port, sharing the operator token and node 0's backend key, as a
 * deployment's nodes do. {@link #close()} stops everything it started.
 */
public final class SpawnedCluster implements AutoCloseable {
  private final List<GatewayProcess> nodes = new ArrayList<>();
  private Process redis;
  private final String redisUrl;

  private SpawnedCluster(String redisUrl) {
    this.redisUrl = redisUrl;
  }

  public static SpawnedCluster start(int n, Path workDir, String databaseUrl, String redisUrl,
                                     Map<String, String> extraEnv, List<String> jvmOptions)
      throws IOException, InterruptedException {
    if (databaseUrl == null || !databaseUrl.toLowerCase(java.util.Locale.ROOT).contains("postgres")) {
      throw new BenchException("--spawn-nodes needs --database-url naming a PostgreSQL database: the nodes share it");
    }
    SpawnedCluster c = new SpawnedCluster(redisUrl != null ? redisUrl : null);
    String url = redisUrl;
    try {
      if (url == null) {
        java.nio.file.Files.createDirectories(workDir); // redis-server's log goes there
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
          port = s.getLocalPort();
        }
        c.redis = new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no").redirectErrorStream(true)
            .redirectOutput(workDir.resolve("redis-" + port + ".log").toFile()).start();
        awaitPort(port);
        url = "redis://127.0.0.1:" + port;
      }
      byte[] t = new byte[32];
      new SecureRandom().nextBytes(t);
      Map<String, String> env = new LinkedHashMap<>(extraEnv);
      env.putIfAbsent("AEGIS_ADMIN_TOKEN", "bench-" + Base64.getUrlEncoder().withoutPadding().encodeToString(t));
      env.put("REDIS_URL", url);
      for (int i = 0; i < n; i++) {
        Map<String, String> mine = new LinkedHashMap<>(env);
        mine.put("AEGIS_NODE_ID", "node-" + i);
        if (i > 0) {
          Path auth = c.nodes.get(0).authDir();
          mine.put("AUTH_PRIVATE_KEY_PATH", auth.resolve("private.pem").toString());
          mine.put("AUTH_PUBLIC_KEY_PATH", auth.resolve("public.pem").toString());
        }
        c.nodes.add(GatewayProcess.start(workDir, databaseUrl, mine, jvmOptions));
      }
      return c;
    } catch (IOException | InterruptedException | RuntimeException e) {
      c.close();
      throw e;
    }
  }

  private static void awaitPort(int port) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (System.nanoTime() < deadline) {
      try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
        return;
      } catch (IOException e) {
        Thread.sleep(100);
      }
    }
    throw new IOException("redis-server did not listen on " + port + " within 20 s (is it installed?)");
  }

  public List<GatewayProcess> nodes() {
    return nodes;
  }

  public String redisUrl() {
    return redisUrl;
  }

  @Override
  public void close() {
    for (GatewayProcess g : nodes) {
      g.close();
    }
    if (redis != null) {
      redis.destroyForcibly();
    }
  }
}
