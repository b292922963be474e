package io.aegis.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.aegis.it.testing.TestCluster;
import io.aegis.server.testing.TestAgent;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * In a cluster the queue's partitions are swept by one live node each, spread evenly and spread
 * again when a node dies; a pending message that no notice announced is still delivered, by
 * whichever node sweeps its partition, to whichever node holds its agent.
 */
class QueuePartitionsClusterTest {

  @Test
  void partitionsAreSweptByOneNodeEachAndTakenOverWhenANodeDies() throws Exception {
    try (TestCluster cluster = TestCluster.start(3, Map.of("AEGIS_QUEUE_PARTITIONS", "6"))) {
      String url = cluster.databaseUrl();
      await("two partitions per node").atMost(Duration.ofSeconds(60)).until(() -> {
        Map<String, Integer> held = leases(url);
        return held.size() == 3 && held.values().stream().allMatch(n -> n == 2);
      });
      cluster.kill(1);
      await("node-1's partitions taken over").atMost(Duration.ofSeconds(60)).until(() -> {
        Map<String, Integer> held = leases(url);
        return held.getOrDefault("node-0", 0) == 3 && held.getOrDefault("node-2", 0) == 3;
      });
    }
  }

  @Test
  void aPendingMessageNoNoticeAnnouncedIsDeliveredByTheSweep() throws Exception {
    try (TestCluster cluster = TestCluster.start(3, Map.of("AEGIS_QUEUE_PARTITIONS", "6"))) {
      TestAgent agent = cluster.register("unannounced-a");
      cluster.register("unannounced-b"); // offline: its message is the template
      try (TestAgent.Session s = agent.at(cluster.url(2)).connect()) {
        var r = cluster.operator(0).post("/api/v1/agents/unannounced-b/send", Map.of("channel", "commands",
            "message", Map.of("n", 1), "message_type", "event"));
        assertThat(r.status()).isEqualTo(202);
        // A message for agent a committed by a node that died before telling anyone: a copy of
        // b's row, as old as the sweep looks for.
        try (Connection c = DriverManager.getConnection(cluster.databaseUrl()); Statement st = c.createStatement()) {
          st.execute("CREATE TEMP TABLE m AS SELECT * FROM message_queue WHERE message_id = '"
              + r.json().path("message_id").asText() + "'");
          st.execute("UPDATE m SET id = gen_random_uuid(), agent_id = 'unannounced-a', message_id = 'unannounced-1',"
              + " seq = nextval(pg_get_serial_sequence('message_queue', 'seq')),"
              + " created_at = created_at - INTERVAL '1 minute'");
          st.execute("INSERT INTO message_queue SELECT * FROM m");
        }
        assertThat(s.socket().nextText(Duration.ofSeconds(60))).as("a record arrives").isNotNull();
        await().atMost(Duration.ofSeconds(30)).until(() -> cluster.operator(1)
            .get("/api/v1/messages/unannounced-1").json().path("status").asText().equals("sent"));
      }
    }
  }

  /** Unexpired leases per node. */
  private static Map<String, Integer> leases(String url) throws Exception {
    Map<String, Integer> out = new HashMap<>();
    try (Connection c = DriverManager.getConnection(url); PreparedStatement ps = c.prepareStatement(
        "SELECT node_id, count(*) FROM queue_partition_leases WHERE node_id IS NOT NULL AND expires_at > now()"
            + " AT TIME ZONE 'UTC' GROUP BY node_id"); ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        out.put(rs.getString(1), rs.getInt(2));
      }
    }
    return out;
  }
}
