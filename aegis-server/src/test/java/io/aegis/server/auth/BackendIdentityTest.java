package io.aegis.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aegis.protocol.IdentityKeyPair;
import io.aegis.protocol.KeyFiles;
import io.aegis.server.config.Config;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BackendIdentityTest {
  @TempDir
  Path dir;

  Config config() {
    return Config.fromEnvironment(Map.of("AEGIS_DATA_DIR", dir.toString()));
  }

  Path privateKey() {
    return dir.resolve("auth/private.pem");
  }

  Path publicKey() {
    return dir.resolve("auth/public.pem");
  }

  @Test
  void theFirstStartCreatesAnOwnerOnlyKeyPair() throws Exception {
    BackendIdentity identity = BackendIdentity.loadOrCreate(config());
    assertThat(identity.created()).isTrue();
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(privateKey()))).isEqualTo("rw-------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("auth")))).isEqualTo("rwx------");
    assertThat(KeyFiles.readPublicKey(publicKey())).isEqualTo(identity.publicKey());
    assertThat(KeyFiles.readPrivateKey(privateKey()).publicKey()).isEqualTo(identity.publicKey());
  }

  @Test
  void theSecondStartReusesTheKeyPair() {
    BackendIdentity first = BackendIdentity.loadOrCreate(config());
    BackendIdentity second = BackendIdentity.loadOrCreate(config());
    assertThat(second.created()).isFalse();
    assertThat(second.publicKey()).isEqualTo(first.publicKey());
  }

  @Test
  void aMissingPublicKeyFileIsWrittenFromThePrivateKey() throws Exception {
    BackendIdentity first = BackendIdentity.loadOrCreate(config());
    Files.delete(publicKey());
    assertThat(BackendIdentity.loadOrCreate(config()).publicKey()).isEqualTo(first.publicKey());
    assertThat(KeyFiles.readPublicKey(publicKey())).isEqualTo(first.publicKey());
  }

  @Test
  void aPrivateKeyReadableByOthersIsRefused() throws Exception {
    BackendIdentity.loadOrCreate(config());
    Files.setPosixFilePermissions(privateKey(), PosixFilePermissions.fromString("rw-r--r--"));
    assertThatThrownBy(() -> BackendIdentity.loadOrCreate(config()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("AUTH_PRIVATE_KEY_PATH")
        .hasMessageContaining("chmod 600");
    Files.setPosixFilePermissions(privateKey(), PosixFilePermissions.fromString("rw-r-----"));
    assertThatThrownBy(() -> BackendIdentity.loadOrCreate(config())).hasMessageContaining("group or others");
  }

  @Test
  void aPublicKeyWithoutItsPrivateKeyIsRefused() throws Exception {
    BackendIdentity.loadOrCreate(config());
    Files.delete(privateKey());
    assertThatThrownBy(() -> BackendIdentity.loadOrCreate(config()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("AUTH_PUBLIC_KEY_PATH")
        .hasMessageContaining("does not");
    assertThat(privateKey()).as("no new key was made in its place").doesNotExist();
  }

  @Test
  void aMismatchedPairIsRefused() throws Exception {
    BackendIdentity.loadOrCreate(config());
    KeyFiles.writePublicKey(publicKey(), IdentityKeyPair.generate(new SecureRandom()).publicKey(), true);
    assertThatThrownBy(() -> BackendIdentity.loadOrCreate(config()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("does not hold the public half");
  }

  @Test
  void aCorruptKeyFileIsRefusedNamingTheVariable() throws Exception {
    BackendIdentity.loadOrCreate(config());
    Files.writeString(publicKey(), "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n");
    assertThatThrownBy(() -> BackendIdentity.loadOrCreate(config()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("AUTH_PUBLIC_KEY_PATH")
        .hasMessageContaining("not a valid Ed25519 key");
    Files.writeString(privateKey(), "not a key");
    assertThatThrownBy(() -> BackendIdentity.loadOrCreate(config()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("AUTH_PRIVATE_KEY_PATH");
  }

  @Test
  void configuredPathsAreHonoured() {
    Path priv = dir.resolve("keys/backend.key");
    Path pub = dir.resolve("pub/backend.pub");
    Config config = Config.fromEnvironment(Map.of("AEGIS_DATA_DIR", dir.resolve("data").toString(),
        "AUTH_PRIVATE_KEY_PATH", priv.toString(), "AUTH_PUBLIC_KEY_PATH", pub.toString()));
    BackendIdentity identity = BackendIdentity.loadOrCreate(config);
    assertThat(priv).exists();
    assertThat(pub).exists();
    assertThat(BackendIdentity.loadOrCreate(config).publicKey()).isEqualTo(identity.publicKey());
  }
}
