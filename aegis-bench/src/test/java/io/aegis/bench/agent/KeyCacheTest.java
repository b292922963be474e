package io.aegis.bench.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeyCacheTest {
  @TempDir
  Path dir;

  @Test
  void keysAndRegistrationsSurviveASaveAndLoad() throws Exception {
    KeyCache a = KeyCache.open(dir, "http://127.0.0.1:8080", "t");
    List<AgentIdentity> ids = a.identities("t", 3, new SecureRandom());
    a.markRegistered(ids.get(1).agentId());
    a.save();

    KeyCache b = KeyCache.open(dir, "http://127.0.0.1:8080", "t");
    List<AgentIdentity> again = b.identities("t", 3, new SecureRandom());
    assertThat(again).extracting(AgentIdentity::publicKeyBase64)
        .containsExactlyElementsOf(ids.stream().map(AgentIdentity::publicKeyBase64).toList());
    assertThat(again.get(0).agentId()).isEqualTo("t-000001");
    assertThat(b.isRegistered("t-000002")).isTrue();
    assertThat(b.isRegistered("t-000001")).isFalse();
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(b.file()))).isEqualTo("rw-------");
  }

  @Test
  void eachGatewayHasItsOwnFile() {
    assertThat(KeyCache.open(dir, "http://127.0.0.1:8080", "t").file())
        .isNotEqualTo(KeyCache.open(dir, "http://127.0.0.1:9090", "t").file());
  }
}
