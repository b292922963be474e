package io.aegis.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.server.auth.OperatorTokens;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** bin/aegis admin works on the store the environment names, without a running gateway. */
class AdminCommandTest {
  @TempDir
  Path dataDir;

  @Test
  void aTokenCreatedOfflineIsListedAcceptedAndCanBeRevoked() {
    Map<String, String> env = Map.of("AEGIS_DATA_DIR", dataDir.toString());
    AtomicReference<String> token = new AtomicReference<>();
    assertThat(AdminCommand.withTokens(env, t -> {
      token.set(t.create("ci-bot"));
      return 0;
    })).isZero();
    assertThat(token.get()).startsWith("aegis_op_");

    AtomicReference<List<OperatorTokens.Listed>> listed = new AtomicReference<>();
    AdminCommand.withTokens(env, t -> {
      listed.set(t.list());
      assertThat(t.lookup(token.get())).isPresent();
      return 0;
    });
    assertThat(listed.get()).singleElement().satisfies(l -> {
      assertThat(l.name()).isEqualTo("ci-bot");
      assertThat(l.revoked()).isFalse();
    });

    String id = listed.get().get(0).id();
    AdminCommand.withTokens(env, t -> {
      assertThat(t.revoke(id)).isTrue();
      assertThat(t.lookup(token.get())).isEmpty();
      assertThat(t.revoke("no-such-id")).isFalse();
      return 0;
    });
  }

  @Test
  void aBadConfigurationIsExitCode2() {
    assertThat(AdminCommand.withTokens(Map.of("WEBSOCKET_PORT", "x", "AEGIS_DATA_DIR", dataDir.toString()),
        t -> 0)).isEqualTo(2);
  }
}
