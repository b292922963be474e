package io.aegis.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.aegis.it.testing.Tools;
import io.aegis.server.testing.ApiClient;
import io.aegis.server.testing.TestPostgres;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's "Run a cluster" as a user runs it: {@code deploy/local-cluster.sh up} starts nodes,
 * Redis and nginx; the REST API answers through nginx and lists every node up; {@code clean} stops
 * everything and drops what it made. (Its nginx check once failed on every machine, with all the
 * processes running, and nothing noticed.)
 */
class LocalClusterScriptTest {
  @TempDir
  Path dir;

  @Test
  void upServesTheApiThroughNginxWithEveryNodeUpAndCleanStopsIt() throws Exception {
    Tools.require("nginx", "nginx-light");
    Tools.require("redis-server", "redis-server");
    Tools.require("psql", "postgresql-client");
    TestPostgres.require();
    int port = freeBase(2);
    Map<String, String> env = Map.of("AEGIS_LOCAL_CLUSTER_DIR", dir.toString(),
        "AEGIS_LOCAL_CLUSTER_DB", "aegis_lc_" + Long.toHexString(System.nanoTime()),
        "AEGIS_NO_BUILD", "1", "JAVA_HOME", System.getProperty("java.home"));
    try {
      Run up = script(env, "up", "--nodes", "2", "--port", Integer.toString(port));
      assertThat(up.exit()).as(up.output()).isZero();
      assertThat(up.output()).contains("2 nodes behind nginx");
      String token = Files.readString(dir.resolve("admin-token")).strip();
      ApiClient api = new ApiClient("http://127.0.0.1:" + port, token);
      JsonNode nodes = api.get("/api/v1/nodes").json().path("nodes");
      List<String> up2 = new ArrayList<>();
      nodes.forEach(n -> up2.add(n.path("node_id").asText() + "=" + n.path("state").asText()));
      assertThat(up2).containsExactlyInAnyOrder("node-1=up", "node-2=up");
    } finally {
      Run clean = script(env, "clean");
      assertThat(clean.exit()).as(clean.output()).isZero();
    }
    Run status = script(env, "status");
    assertThat(status.output()).doesNotContain("running (pid");
  }

  record Run(int exit, String output) {}

  private static Run script(Map<String, String> env, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(Tools.repository().resolve("deploy/local-cluster.sh").toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().putAll(env);
    Process p = pb.start();
    // The nodes it starts inherit no pipe of ours (they log to files), so the output ends with the script.
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    if (!p.waitFor(5, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError("deploy/local-cluster.sh " + String.join(" ", args) + " did not end: " + out);
    }
    return new Run(p.exitValue(), out);
  }

  /** A port whose next {@code nodes} ports and port + 100 (the script's Redis) were free a moment ago. */
  private static int freeBase(int nodes) {
    for (int attempt = 0; attempt < 100; attempt++) {
      int base = ThreadLocalRandom.current().nextInt(20_000, 30_000);
      List<Integer> ports = new ArrayList<>(List.of(base, base + 100));
      for (int i = 1; i <= nodes; i++) {
        ports.add(base + i);
      }
      if (ports.stream().allMatch(LocalClusterScriptTest::free)) {
        return base;
      }
    }
    throw new AssertionError("no free ports for the cluster");
  }

  private static boolean free(int port) {
    try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
