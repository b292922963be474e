package io.aegis.it.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Debian's nginx in front of a test cluster, configured from the repository's own
 * {@code deploy/nginx/aegis.conf}: the same upgrade headers, timeouts, retries and passive health
 * checks a user deploys, with three changes only: the upstream lines name the test's nodes, it
 * listens on a free port of 127.0.0.1 without TLS (the tests' clients speak plain HTTP; TLS
 * termination itself is nginx's, not ours), and its files live in a directory of the test's own.
 */
public final class Nginx implements AutoCloseable {
  private final Process process;
  private final int port;
  private final Path dir;

  private Nginx(Process process, int port, Path dir) {
    this.process = process;
    this.port = port;
    this.dir = dir;
  }

  /** Starts nginx in front of the nodes listening on {@code nodePorts} of 127.0.0.1. */
  public static Nginx start(List<Integer> nodePorts) {
    String program = Tools.require("nginx", "nginx-light");
    try {
      Path dir = Files.createTempDirectory("aegis-it-nginx-");
      int port = Tools.freePort();
      String conf = configure(Files.readString(Tools.repository().resolve("deploy/nginx/aegis.conf")), nodePorts, port,
          dir);
      Path file = dir.resolve("nginx.conf");
      Files.writeString(file, conf);
      Process p = new ProcessBuilder(List.of(program, "-p", dir.toString(), "-c", file.toString(),
          "-g", "daemon off;")).redirectErrorStream(true).redirectOutput(dir.resolve("stdout.log").toFile()).start();
      Nginx nginx = new Nginx(p, port, dir);
      org.awaitility.Awaitility.await("nginx listening on " + port).atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(50)).until(() -> {
            if (!p.isAlive()) {
              throw new IllegalStateException("nginx exited: " + nginx.log());
            }
            return nginx.listening();
          });
      return nginx;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** deploy/nginx/aegis.conf, rewritten for a test: its nodes, its port, its directory. */
  static String configure(String deployed, List<Integer> nodePorts, int port, Path dir) {
    String nodes = nodePorts.stream()
        .map(p -> "        server 127.0.0.1:" + p + " max_fails=3 fail_timeout=10s;")
        .collect(Collectors.joining("\n"));
    String c = replaceBetween(deployed, "# @nodes", "# @end-nodes", nodes);
    c = replaceBetween(c, "# @listen", "# @end-listen", "        listen 127.0.0.1:" + port + ";");
    String user = "root".equals(System.getProperty("user.name")) ? "user root;" : "";
    return c.replaceFirst("(?m)^user .*;$", user)
        .replaceFirst("(?m)^pid .*;$", "pid " + dir.resolve("nginx.pid") + ";")
        .replaceFirst("(?m)^error_log .*;$", "error_log " + dir.resolve("error.log") + " info;")
        .replaceFirst("(?m)^worker_processes .*;$", "worker_processes 1;")
        .replaceFirst("(?m)^worker_rlimit_nofile .*;$", "")
        .replaceFirst("worker_connections \\d+;", "worker_connections 4096;")
        .replaceFirst("(?m)^http \\{", "http {\n    client_body_temp_path " + dir.resolve("body") + ";\n"
            + "    proxy_temp_path " + dir.resolve("proxy") + ";\n");
  }

  private static String replaceBetween(String text, String from, String to, String with) {
    int a = text.indexOf(from);
    int b = text.indexOf(to);
    if (a < 0 || b < a) {
      throw new AssertionError("deploy/nginx/aegis.conf lacks its '" + from + "' ... '" + to + "' markers");
    }
    int lineEnd = text.indexOf('\n', a);
    int lineStart = text.lastIndexOf('\n', b);
    return text.substring(0, lineEnd + 1) + with + text.substring(lineStart);
  }

  private boolean listening() {
    try (Socket s = new Socket("127.0.0.1", port)) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** {@code http://127.0.0.1:<port>}: where agents and operators go. */
  public String url() {
    return "http://127.0.0.1:" + port;
  }

  /** nginx's error log (every upstream it gave up on is there). */
  public String log() {
    try {
      Path errors = dir.resolve("error.log");
      return Files.exists(errors) ? Files.readString(errors) : Files.readString(dir.resolve("stdout.log"));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  @Override
  public void close() {
    process.destroy();
    try {
      process.waitFor();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
