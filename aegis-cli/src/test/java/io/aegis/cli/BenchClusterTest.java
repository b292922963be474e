package io.aegis.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.server.testing.TestPostgres;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/aegis bench} with a cluster it spawns itself (two gateway JVMs on PostgreSQL and a
 * Redis server of its own): losing a node to {@code kill -9} costs its agents a reconnect to the
 * other node and loses none of the messages queued for them meanwhile.
 */
class BenchClusterTest {
  @TempDir
  Path workDir;
  String schema;

  @BeforeEach
  void database() {
    schema = TestPostgres.createSchema();
  }

  @AfterEach
  void dropDatabase() {
    TestPostgres.dropSchema(schema);
  }

  @Test
  void aKilledNodesAgentsComeBackOnTheOtherNodeWithEveryMessageQueuedForThem() {
    BenchCommandTest.Run r = BenchCommandTest.bench("storm", "--spawn-nodes", "2", "--database-url",
        TestPostgres.databaseUrl(schema), "--agents", "20", "--kill-node", "--queued", "3", "--timeout", "3m",
        "--work-dir", workDir.toString());
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).containsPattern("agents_on_lost_node\\s+10\\b")
        .containsPattern("recovered\\s+yes")
        .containsPattern("agents_back\\s+10\\s+agents")
        .containsPattern("messages_queued\\s+30\\s+messages")
        .containsPattern("messages_received\\s+30\\s+messages");
  }
}
