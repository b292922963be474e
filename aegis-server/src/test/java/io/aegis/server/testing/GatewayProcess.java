package io.aegis.server.testing;

import io.aegis.server.AegisServer;
import io.aegis.server.config.Config;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A gateway node in a JVM of its own, for what only a separate process can show: that what a
 * node acknowledged survives {@code kill -9}. {@link #main} starts {@link AegisServer} from the
 * environment and prints {@value #READY} and the bound port on standard output.
 *
 * <pre>{@code
 * GatewayProcess node = GatewayProcess.start(gw.env());   // gw.stop()ped TestGateway: same store
 * ... node.baseUrl() ...
 * node.kill();                                             // SIGKILL, no shutdown hooks
 * }</pre>
 */
public final class GatewayProcess implements AutoCloseable {
  /** The line prefix {@link #main} prints once the node listens. */
  public static final String READY = "AEGIS_TEST_GATEWAY_PORT ";

  private final Process process;
  private final int port;
  private final Path log;

  private GatewayProcess(Process process, int port, Path log) {
    this.process = process;
    this.port = port;
    this.log = log;
  }

  /**
   * Runs one node until the process is killed, gets SIGTERM (it drains), or is asked to drain
   * through the API; then exits 0, as {@code bin/aegis serve} does.
   */
  public static void main(String[] args) throws InterruptedException {
    AegisServer server = AegisServer.start(Config.fromEnvironment(System.getenv()));
    CountDownLatch stopped = new CountDownLatch(1);
    server.drainOnSigterm();
    Runtime.getRuntime().addShutdownHook(new Thread(server::close));
    server.closed().thenRun(stopped::countDown);
    System.out.println(READY + server.port());
    System.out.flush();
    stopped.await();
    System.exit(0);
  }

  /**
   * Starts a node with exactly {@code env} (plus PATH) and returns once it listens. Its port is
   * ephemeral unless {@code env} sets WEBSOCKET_PORT. Its log goes to a file, shown if the start fails.
   */
  public static GatewayProcess start(Map<String, String> env) {
    return start(env, List.of());
  }

  /**
   * As {@link #start(Map)}, with extra JVM options: {@code -Dlogback.configurationFile=logback.xml}
   * runs the node with the production log configuration instead of the tests' one.
   */
  public static GatewayProcess start(Map<String, String> env, List<String> jvmOptions) {
    Path java = Paths.get(System.getProperty("java.home"), "bin", "java");
    List<String> command = new java.util.ArrayList<>(List.of(java.toString(), "-Xmx256m", "-XX:TieredStopAtLevel=1",
        "-XX:+UseSerialGC", "--enable-native-access=ALL-UNNAMED"));
    command.addAll(jvmOptions);
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), GatewayProcess.class.getName()));
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().clear();
    pb.environment().put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
    pb.environment().putAll(env);
    pb.environment().putIfAbsent("WEBSOCKET_PORT", "0"); // a cluster test may pin a port that outlives restarts
    try {
      Path log = Files.createTempFile("aegis-gateway-process-", ".log");
      pb.redirectError(log.toFile());
      Process process = pb.start();
      CompletableFuture<Integer> port = new CompletableFuture<>();
      Thread reader = new Thread(() -> readOutput(process, port, log), "gateway-process-stdout");
      reader.setDaemon(true);
      reader.start();
      try {
        return new GatewayProcess(process, port.get(60, TimeUnit.SECONDS), log);
      } catch (ExecutionException | TimeoutException e) {
        process.destroyForcibly();
        throw new IllegalStateException("the gateway process did not start: " + Files.readString(log), e);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  // Keeps draining standard output so that the node never blocks on a full pipe, and keeps what it
  // logs there in the log file beside its standard error.
  private static void readOutput(Process process, CompletableFuture<Integer> port, Path log) {
    try (BufferedReader out = new BufferedReader(
        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
         var file = Files.newBufferedWriter(log, StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.APPEND)) {
      String line;
      while ((line = out.readLine()) != null) {
        if (line.startsWith(READY)) {
          port.complete(Integer.parseInt(line.substring(READY.length()).trim()));
        }
        file.write(line);
        file.newLine();
        file.flush();
      }
    } catch (IOException | RuntimeException e) {
      port.completeExceptionally(e);
    }
    port.completeExceptionally(new IllegalStateException("its standard output closed before it listened"));
  }

  public String baseUrl() {
    return "http://127.0.0.1:" + port;
  }

  /** The node's log (standard error). */
  public String log() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  /** {@code kill -9}: the process ends at once, with no shutdown hook and no flush. */
  public void kill() {
    process.destroyForcibly();
    waitFor();
  }

  private void waitFor() {
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        throw new IllegalStateException("the gateway process did not exit");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The operating system's id of the node's process. */
  public long pid() {
    return process.pid();
  }

  /** Whether the process still runs. */
  public boolean isAlive() {
    return process.isAlive();
  }

  /** Waits up to {@code timeout} for the process to exit by itself; its exit value. */
  public int awaitExit(java.time.Duration timeout) {
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new IllegalStateException("the gateway process did not exit within " + timeout);
      }
      return process.exitValue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** SIGTERM: the node drains and stops; returns at once ({@link #awaitExit} waits). */
  public void terminate() {
    process.destroy();
  }

  /** SIGTERM: a graceful stop (the node drains), then waits for the process to exit. */
  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroy();
      waitFor();
    }
    try {
      Files.deleteIfExists(log);
    } catch (IOException ignored) {
      // a temp file left behind is harmless
    }
  }
}
