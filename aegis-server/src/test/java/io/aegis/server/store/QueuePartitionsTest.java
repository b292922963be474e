package io.aegis.server.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.server.testing.StoreKind;
import io.aegis.server.testing.TestAgent;
import io.aegis.server.testing.TestGateway;
import io.aegis.server.testing.TestPostgres;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * On PostgreSQL the message queue is hash-partitioned by agent id (migration 10,
 * AEGIS_QUEUE_PARTITIONS), and the migration works on an existing, populated database: rows,
 * their order, the sequence and every index survive.
 */
class QueuePartitionsTest {

  @Test
  void anExistingQueueMovesIntoItsPartitionsWithItsRowsOrderAndIndexes() throws Exception {
    TestPostgres.require();
    try (TestGateway gw = TestGateway.start(StoreKind.POSTGRESQL, Map.of("AEGIS_QUEUE_PARTITIONS", "1"))) {
      TestAgent agent = TestAgent.register(gw, "before-partitions");
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        ids.add(send(gw, i));
      }
      String url = gw.env().get("DATABASE_URL");
      assertThat(partitions(url)).as("AEGIS_QUEUE_PARTITIONS=1 leaves the table as it is").isZero();

      // The database as it was before migration 10, full of undelivered messages; then a node
      // that partitions it.
      gw.stop();
      // (and of the migrations after it, which run again)
      sql(url, "DELETE FROM flyway_schema_history WHERE version IN ('10', '11', '12')");
      sql(url, "DROP TABLE queue_partition_leases");
      sql(url, "DROP TABLE idempotency_keys");
      sql(url, "DROP TABLE audit_log, audit_head, audit_checkpoints, approvals");
      sql(url, "ALTER TABLE operator_tokens DROP COLUMN scopes, DROP COLUMN agents_label, DROP COLUMN expires_at, "
          + "DROP COLUMN created_by");
      gw.restart(Map.of("AEGIS_QUEUE_PARTITIONS", "4"));

      assertThat(partitions(url)).isEqualTo(4);
      for (String id : ids) {
        assertThat(gw.operator().get("/api/v1/messages/" + id).json().path("status").asText()).isEqualTo("pending");
      }
      try (TestAgent.Session s = agent.connect()) {
        for (String id : ids) {
          assertThat(s.nextNonAck().id()).as("in the order they were sent").isEqualTo(id);
        }
        String after = send(gw, 3);
        assertThat(s.nextNonAck().id()).as("the sequence goes on").isEqualTo(after);
      }
      // The indexes came along, on the partitioned table.
      List<String> indexes = strings(url, "SELECT indexname FROM pg_indexes WHERE tablename = 'message_queue' AND schemaname = current_schema()");
      assertThat(indexes).contains("idx_message_queue_agent_message", "idx_message_queue_backlog",
          "idx_message_queue_message_id", "message_queue_pkey");
      assertThat(strings(url, "SELECT indexdef FROM pg_indexes WHERE indexname = 'message_queue_pkey' AND schemaname = current_schema()").get(0))
          .contains("(agent_id, id)");
    }
  }

  private static String send(TestGateway gw, int n) {
    var r = gw.operator().post("/api/v1/agents/before-partitions/send", Map.of("channel", "commands",
        "message", Map.of("n", n), "message_type", "event"));
    assertThat(r.status()).as(r.body()).isEqualTo(202);
    return r.json().path("message_id").asText();
  }

  private static int partitions(String url) throws Exception {
    return Integer.parseInt(strings(url,
        "SELECT count(*) FROM pg_inherits WHERE inhparent = to_regclass('message_queue')").get(0));
  }

  private static void sql(String url, String sql) throws Exception {
    try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  private static List<String> strings(String url, String sql) throws Exception {
    List<String> out = new ArrayList<>();
    try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery(sql)) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
    }
    return out;
  }
}
