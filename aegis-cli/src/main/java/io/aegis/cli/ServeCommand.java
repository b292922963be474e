package io.aegis.cli;

import io.aegis.server.AegisServer;
import io.aegis.server.config.Config;
import io.aegis.server.config.ConfigException;
import io.aegis.server.store.StoreException;
import java.io.PrintStream;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;

/** {@code bin/aegis serve}: runs one gateway node until SIGTERM or SIGINT, then drains it. */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description = {
        "Run a gateway node. Configured by environment variables (see README.md, Configuration).",
        "With no configuration: http://127.0.0.1:8080, SQLite under ./data."})
final class ServeCommand implements Callable<Integer> {

  @Override
  public Integer call() throws InterruptedException {
    Config config;
    try {
      config = Config.fromEnvironment(System.getenv());
    } catch (ConfigException e) {
      System.err.println("aegis: " + e.getMessage());
      return 2;
    }
    AegisServer server;
    try {
      server = AegisServer.start(config);
    } catch (StoreException | IllegalStateException e) {
      System.err.println("aegis: cannot start: " + e.getMessage());
      return 1;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.close();
      stopped.countDown();
    }, "aegis-shutdown"));
    printBanner(server, System.out);
    stopped.await();
    return 0;
  }

  static void printBanner(AegisServer server, PrintStream out) {
    Config c = server.config();
    String base = server.baseUrl();
    String ws = base.replaceFirst("^http", "ws") + c.websocketPath();
    out.println();
    out.println("  Aegis Gateway node " + c.nodeId() + " is up");
    out.println("  REST API      " + base + "/api/v1   (OpenAPI: " + base + "/api/v1/openapi.json)");
    out.println("  Agent socket  " + ws);
    if (c.console()) {
      out.println("  Console       " + base + "/console/   (sign in with an operator token)");
    }
    out.println("  Health        " + base + "/healthz  " + base + "/readyz  " + base + "/metrics");
    out.println("  Backend key   " + server.identity().publicKey().base64()
        + "   (id " + server.identity().publicKey().keyIdHex() + "; agents pin this)"
        + (server.identity().created() ? "  [created now]" : ""));
    out.println("  Store         " + server.database().describe());
    out.println("  Data dir      " + c.dataDir());
    server.initialOperatorToken().ifPresent(t -> {
      out.println();
      out.println("  Operator token (shown once; only its hash is stored):");
      out.println("    " + t);
      out.println("  Use it as: Authorization: Bearer <token>");
    });
    if (c.adminToken().isPresent()) {
      out.println("  Operator token: from AEGIS_ADMIN_TOKEN");
    }
    out.println();
    out.flush();
  }
}
