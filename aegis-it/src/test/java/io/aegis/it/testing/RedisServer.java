package io.aegis.it.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A Redis server of the test's own (Debian's redis-server) on a free port, with no persistence:
 * a cluster test can stop it as abruptly as a crash ({@link #kill}) and start it again, empty, on
 * the same port ({@link #restart()}), without touching anyone else's Redis.
 */
public final class RedisServer implements AutoCloseable {
  private final String program;
  private final int port;
  private final Path dir;
  private Process process;

  private RedisServer(String program, int port, Path dir) {
    this.program = program;
    this.port = port;
    this.dir = dir;
  }

  /** Starts a new server on a free port. */
  public static RedisServer start() {
    String program = Tools.require("redis-server", "redis-server");
    try {
      RedisServer r = new RedisServer(program, Tools.freePort(), Files.createTempDirectory("aegis-it-redis-"));
      r.restart();
      return r;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** (Re)starts the server on its port, empty; returns once it answers PING. */
  public synchronized void restart() {
    if (process != null && process.isAlive()) {
      return;
    }
    try {
      process = new ProcessBuilder(List.of(program, "--port", String.valueOf(port), "--bind", "127.0.0.1",
          "--save", "", "--appendonly", "no", "--dir", dir.toString(), "--protected-mode", "no"))
          .redirectErrorStream(true).redirectOutput(dir.resolve("redis.log").toFile()).start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Process started = process;
    org.awaitility.Awaitility.await("redis-server answering on port " + port).atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> {
          if (!started.isAlive()) {
            throw new IllegalStateException("redis-server exited: " + Files.readString(dir.resolve("redis.log")));
          }
          return answers();
        });
  }

  /** Stops the server at once (SIGKILL), like a crash; it keeps no data. */
  public synchronized void kill() {
    if (process != null) {
      process.destroyForcibly();
      try {
        process.waitFor();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Whether the server answers PING now. */
  public boolean answers() {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(1000);
      s.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
      byte[] buf = new byte[16];
      int n = s.getInputStream().read(buf);
      return n > 0 && new String(buf, 0, n, StandardCharsets.US_ASCII).startsWith("+PONG");
    } catch (IOException e) {
      return false;
    }
  }

  /** The REDIS_URL of this server. */
  public String url() {
    return "redis://127.0.0.1:" + port;
  }

  @Override
  public void close() {
    kill();
  }
}
