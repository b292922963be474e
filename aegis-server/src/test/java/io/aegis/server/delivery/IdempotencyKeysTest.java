package io.aegis.server.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aegis.server.api.ApiException;
import io.aegis.server.config.Config;
import io.aegis.server.store.Database;
import io.aegis.server.testing.StoreKind;
import io.aegis.server.testing.TestPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The idempotency window: a key is the first answer's within it, free again after it, and purged. */
class IdempotencyKeysTest {

  private static Database open(StoreKind store, Path dir, String[] schema) {
    Map<String, String> env = new HashMap<>(Map.of("AEGIS_DATA_DIR", dir.toString(), "AEGIS_ADMIN_TOKEN", "t".repeat(32)));
    if (store == StoreKind.POSTGRESQL) {
      schema[0] = TestPostgres.createSchema();
      env.put("DATABASE_URL", TestPostgres.databaseUrl(schema[0]));
    }
    return Database.open(Config.fromEnvironment(env));
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aKeyHoldsWithinItsWindowIsFreeAfterItAndIsPurged(StoreKind store) throws Exception {
    Path dir = Files.createTempDirectory("aegis-idem-");
    String[] schema = new String[1];
    try (Database db = open(store, dir, schema)) {
      IdempotencyKeys keys = new IdempotencyKeys(db, Duration.ofHours(24));
      IdempotencyKeys.Key k = new IdempotencyKeys.Key("op-1", "deploy-7", "a".repeat(64));
      IdempotencyKeys.Answer first = new IdempotencyKeys.Answer("m-1", 202, "{\"message_id\":\"m-1\"}");
      Instant then = Instant.now().minus(Duration.ofHours(30));

      // Taken 30 hours ago: older than the 24 h window.
      assertThat(db.<Optional<IdempotencyKeys.Answer>>transaction(c -> keys.claim(c, k, first, then))).isEmpty();
      // Within the window as seen 30 hours ago, the key was the first answer's...
      assertThat(db.<Optional<IdempotencyKeys.Answer>>transaction(c -> keys.claim(c, k, new IdempotencyKeys.Answer("m-x", 202, "{}"),
          then.plusSeconds(60)))).map(IdempotencyKeys.Answer::messageId).contains("m-1");
      // ...and a different request under it was refused.
      IdempotencyKeys.Key other = new IdempotencyKeys.Key("op-1", "deploy-7", "b".repeat(64));
      assertThatThrownBy(() -> db.<Optional<IdempotencyKeys.Answer>>transaction(c -> keys.claim(c, other, first,
          then.plusSeconds(60))))
          .isInstanceOf(ApiException.class).hasMessageContaining("different request");
      // Now, past the window, it is nobody's: find sees nothing and a new claim takes it.
      assertThat(keys.find(k)).isEmpty();
      IdempotencyKeys.Answer second = new IdempotencyKeys.Answer("m-2", 202, "{\"message_id\":\"m-2\"}");
      assertThat(db.<Optional<IdempotencyKeys.Answer>>transaction(c -> keys.claim(c, k, second, Instant.now()))).isEmpty();
      assertThat(keys.find(k)).map(IdempotencyKeys.Answer::messageId).contains("m-2");

      // Purge removes keys past the window only.
      IdempotencyKeys.Key old = new IdempotencyKeys.Key("op-2", "old", "c".repeat(64));
      db.<Optional<IdempotencyKeys.Answer>>transaction(c -> keys.claim(c, old, first, then));
      assertThat(db.<Integer>transaction(c -> keys.purge(c, Instant.now(), 100))).isEqualTo(1);
      assertThat(db.<Integer>transaction(c -> keys.purge(c, Instant.now(), 100))).isZero();
      assertThat(keys.find(k)).isPresent();
    } finally {
      if (schema[0] != null) {
        TestPostgres.dropSchema(schema[0]);
      }
    }
  }
}
