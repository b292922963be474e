package io.aegis.server.console;

import io.aegis.server.api.ApiRouter;
import io.aegis.server.cluster.LocalPresence;
import io.aegis.server.cluster.Presence;
import io.aegis.server.cluster.Transport;
import io.aegis.server.config.Config;
import io.aegis.server.store.Database;
import io.vertx.ext.web.Router;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The web console of one node: the fleet's read-only REST views it is built on
 * ({@link FleetRoutes}, mounted always: scripts use them too) and, unless
 * {@code AEGIS_CONSOLE=false}, the console itself at {@code /console} ({@link ConsoleAssets}).
 *
 * <p>The console is static files that call the REST API with the operator token the user signs
 * in with; the gateway keeps no console state, so any node serves it. docs/console.md is the
 * user's guide and explains its security.
 */
public final class Console {
  private Console() {}

  /**
   * Mounts the fleet views on {@code api} and the console on {@code router} (before
   * {@link ApiRouter#finish()}, which answers 404 for everything else).
   *
   * @param presence where agents' sessions are; the fleet views take the agents polling over HTTP
   *                 from it (WebSocket sessions of every node are in the connections table)
   */
  public static void mount(Router router, ApiRouter api, Config config, Database database, Presence presence) {
    // Filtering and counting by state needs the set of HTTP pollers, which a node alone lists from
    // its own presence. A cluster presence (HTTP pollers of every node) will have to offer the same.
    Supplier<Set<String>> pollers = presence instanceof LocalPresence local
        ? () -> local.holding(Transport.HTTP_POLLING)
        : Set::of;
    new FleetRoutes(new FleetView(database, config.connectionsTable(), config.nodeId(), pollers)).mount(api);
    if (config.console()) {
      ConsoleAssets.load().mount(router);
    }
  }
}
