package io.aegis.server.console;

import io.aegis.server.registry.Labels;
import io.aegis.server.store.Database;
import io.aegis.server.testing.StoreKind;
import io.aegis.server.testing.TestGateway;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * What the fleet views cost on a large fleet: fills a gateway's store with {@code aegis.fleet.probe}
 * agents (a quarter connected, a quarter disconnected, half never seen, one in fifty deactivated,
 * twenty sites) and times the summary and page queries on both stores, the median of three runs
 * after a warm-up. A measuring tool, not part of the suite (its figures depend on the machine):
 *
 * <pre>{@code
 * mvn -B -q -pl aegis-server -am test -Dtest=FleetScaleProbe -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Daegis.fleet.probe=100000 | grep PROBE
 * }</pre>
 */
@EnabledIfSystemProperty(named = "aegis.fleet.probe", matches = "[0-9]+")
class FleetScaleProbe {
  private static final Optional<String> ANY = Optional.empty();
  private static final List<Labels.Selector> NO_LABELS = List.of();
  private static final List<Labels.Selector> SITE_3 = List.of(new Labels.Selector("site", "site-3"));

  private record Case(String name, Runnable run) {}

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void probe(StoreKind store) {
    int agents = Integer.getInteger("aegis.fleet.probe");
    try (TestGateway gw = TestGateway.start(store)) {
      Database db = gw.server().database();
      Instant now = Instant.now();
      db.transaction(c -> {
        fill(db, c, agents, now);
        return null;
      });
      if (store == StoreKind.POSTGRESQL) {
        db.transaction(c -> {
          try (var statement = c.createStatement()) {
            return statement.execute("ANALYZE");
          }
        });
      }
      FleetView view = new FleetView(db, "agent_connections", "n1", Set::of);
      List<Case> cases = List.of(
          new Case("summary, whole fleet", () -> view.summary(filter(ANY, NO_LABELS, ANY), now)),
          new Case("summary, label site=site-3", () -> view.summary(filter(ANY, SITE_3, ANY), now)),
          new Case("summary, search 'nt-00123'", () -> view.summary(filter(Optional.of("nt-00123"), NO_LABELS, ANY), now)),
          new Case("page of 100, no filter, from the middle",
              () -> view.list(filter(ANY, NO_LABELS, ANY), Optional.of(String.format("agent-%07d", agents / 2)), 100)),
          new Case("page of 100, state=connected", () -> view.list(filter(ANY, NO_LABELS, Optional.of("connected")), ANY, 100)),
          new Case("page of 100, state=offline, label site=site-3",
              () -> view.list(filter(ANY, SITE_3, Optional.of("offline")), ANY, 100)),
          new Case("page of 100, state=inactive", () -> view.list(filter(ANY, NO_LABELS, Optional.of("inactive")), ANY, 100)),
          new Case("page of 100, search 'nt-00123'", () -> view.list(filter(Optional.of("nt-00123"), NO_LABELS, ANY), ANY, 100)),
          new Case("page, search matching nothing (a full scan)",
              () -> view.list(filter(Optional.of("zzz"), NO_LABELS, ANY), ANY, 100)));
      for (Case c : cases) {
        c.run().run();
        List<Long> millis = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
          long start = System.nanoTime();
          c.run().run();
          millis.add((System.nanoTime() - start) / 1_000_000);
        }
        Collections.sort(millis);
        System.out.println("PROBE " + store + " agents=" + agents + " " + c.name() + ": median " + millis.get(1) + " ms " + millis);
      }
    }
  }

  private static FleetView.Filter filter(Optional<String> search, List<Labels.Selector> labels, Optional<String> state) {
    return new FleetView.Filter(search, labels, state);
  }

  private static void fill(Database db, Connection c, int agents, Instant now) throws SQLException {
    try (PreparedStatement agent = c.prepareStatement("INSERT INTO agents (agent_id, public_key, status, metadata, labels,"
        + " enrolled_by, created_at, updated_at) VALUES (?, 'k', ?, '{}', ?, 'operator', ?, ?)");
         PreparedStatement label = c.prepareStatement("INSERT INTO agent_labels (agent_id, name, value) VALUES (?, 'site', ?)");
         PreparedStatement connection = c.prepareStatement("INSERT INTO agent_connections (id, agent_id, public_key,"
             + " session_token, connected_at, last_seen, is_active, metadata, created_at, updated_at)"
             + " VALUES (?, ?, 'k', 'h', ?, ?, ?, '{\"node_id\":\"n1\"}', ?, ?)")) {
      for (int i = 0; i < agents; i++) {
        String id = String.format("agent-%07d", i);
        String site = "site-" + (i % 20);
        agent.setString(1, id);
        agent.setString(2, i % 50 == 0 ? "inactive" : "active");
        agent.setString(3, "{\"site\":\"" + site + "\"}");
        db.dialect().setInstant(agent, 4, now);
        db.dialect().setInstant(agent, 5, now);
        agent.addBatch();
        label.setString(1, id);
        label.setString(2, site);
        label.addBatch();
        if (i % 2 == 0) {
          connection.setString(1, UUID.randomUUID().toString());
          connection.setString(2, id);
          db.dialect().setInstant(connection, 3, now);
          db.dialect().setInstant(connection, 4, now);
          connection.setBoolean(5, i % 4 == 0);
          db.dialect().setInstant(connection, 6, now);
          db.dialect().setInstant(connection, 7, now);
          connection.addBatch();
        }
        if (i % 5000 == 4999 || i == agents - 1) {
          agent.executeBatch();
          label.executeBatch();
          connection.executeBatch();
        }
      }
    }
  }
}
