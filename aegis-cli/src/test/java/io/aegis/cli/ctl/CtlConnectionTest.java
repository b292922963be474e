package io.aegis.cli.ctl;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.cli.Cli;
import io.aegis.cli.TlsGateways;
import io.aegis.server.testing.StoreKind;
import io.aegis.server.testing.TestGateway;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where {@code ctl} finds the gateway and the token (flags over environment over configuration
 * file), and what it says when it cannot reach the gateway: exit status 3, in words; over TLS,
 * with a hint about {@code --ca-cert}.
 */
class CtlConnectionTest {
  static TestGateway gw;
  static TestGateway tls;
  static Path caFile;

  @TempDir
  static Path dir;

  @BeforeAll
  static void start() throws Exception {
    gw = TestGateway.start(StoreKind.SQLITE);
    TlsGateways t = TlsGateways.start(dir);
    tls = t.gateway();
    caFile = t.ca();
  }

  @AfterAll
  static void stop() {
    gw.close();
    tls.close();
  }

  /** A configuration file, owner-only. */
  static Path config(String name, String json) throws Exception {
    Path f = dir.resolve(name);
    Files.writeString(f, json);
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
    return f;
  }

  @Test
  void takesFlagsOverEnvironmentOverConfigurationFile() throws Exception {
    String token = TestGateway.OPERATOR_TOKEN;
    Cli.Result r = new Cli().env(Map.of("AEGIS_URL", gw.baseUrl(), "AEGIS_TOKEN", token)).run("ctl", "agents", "list");
    assertThat(r.exit()).as(r.toString()).isZero();

    Path file = config("ctl.json", "{\"url\": \"" + gw.baseUrl() + "\", \"token\": \"" + token + "\"}");
    r = new Cli().env(Map.of()).run("ctl", "--config", file.toString(), "agents", "list");
    assertThat(r.exit()).as(r.toString()).isZero();
    assertThat(r.err()).doesNotContain("warning");

    // The default file: $XDG_CONFIG_HOME/aegis/ctl.json.
    Path xdg = dir.resolve("xdg");
    Files.createDirectories(xdg.resolve("aegis"));
    Files.copy(file, xdg.resolve("aegis/ctl.json"));
    r = new Cli().env(Map.of("XDG_CONFIG_HOME", xdg.toString())).run("ctl", "agents", "list");
    assertThat(r.exit()).as(r.toString()).isZero();

    // The environment beats the file, the flag beats the environment.
    r = new Cli().env(Map.of("AEGIS_TOKEN", "wrong-token", "XDG_CONFIG_HOME", xdg.toString()))
        .run("ctl", "agents", "list");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).startsWith("aegis: unauthorized: ");
    r = new Cli().env(Map.of("AEGIS_TOKEN", "wrong-token", "XDG_CONFIG_HOME", xdg.toString()))
        .run("ctl", "agents", "list", "--token", token);
    assertThat(r.exit()).as(r.toString()).isZero();
  }

  @Test
  void missingOrBadSettingsAreUsageErrors() throws Exception {
    Cli.Result r = new Cli().env(Map.of("XDG_CONFIG_HOME", dir.resolve("none").toString())).run("ctl", "agents", "list");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("no gateway URL: give --url, set AEGIS_URL, or put \"url\" in "
        + dir.resolve("none/aegis/ctl.json"));

    r = new Cli().env(Map.of("AEGIS_URL", gw.baseUrl(), "XDG_CONFIG_HOME", dir.resolve("none").toString()))
        .run("ctl", "agents", "list");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("no operator token");

    r = new Cli().run("ctl", "--config", dir.resolve("missing.json").toString(), "agents", "list");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("does not exist");

    r = new Cli().run("ctl", "--config", config("typo.json", "{\"tokn\": \"x\"}").toString(), "agents", "list");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("unknown field 'tokn' (known: url, token, ca_cert)");

    r = new Cli().run("ctl", "--url", "ftp://gw", "--token", "t", "agents", "list");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("must be http://host:port or https://host:port");

    r = new Cli().run("ctl", "--url", gw.baseUrl(), "--token", "t", "--request-timeout", "soon", "agents", "list");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("'soon' is not a duration");
  }

  @Test
  void warnsWhenTheConfigurationFileWithATokenIsReadableByOthers() throws Exception {
    Path f = config("open.json", "{\"url\": \"" + gw.baseUrl() + "\", \"token\": \"" + TestGateway.OPERATOR_TOKEN + "\"}");
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
    Cli.Result r = new Cli().run("ctl", "--config", f.toString(), "agents", "list");
    assertThat(r.exit()).as(r.toString()).isZero();
    assertThat(r.err()).contains("holds an operator token and others may read it (chmod 600 " + f + ")");
  }

  @Test
  void anUnreachableGatewayIsExit3InWords() {
    Cli.Result r = new Cli().run("ctl", "--url", "http://127.0.0.1:1", "--token", "t", "agents", "list");
    assertThat(r.exit()).isEqualTo(3);
    assertThat(r.err()).isEqualTo("aegis: cannot reach the gateway at http://127.0.0.1:1: connection refused "
        + "(is it running, and is the URL right?)\n");
  }

  @Test
  void overTlsAPrivateCaNeedsCaCertAndTheErrorSaysSo() {
    Cli.Result r = new Cli().run("ctl", "--url", tls.baseUrl(), "--token", TestGateway.OPERATOR_TOKEN, "agents", "list");
    assertThat(r.exit()).isEqualTo(3);
    assertThat(r.err()).startsWith("aegis: TLS: the gateway at " + tls.baseUrl() + " is not trusted")
        .contains("give that CA with --ca-cert FILE");

    r = new Cli().run("ctl", "--url", tls.baseUrl(), "--token", TestGateway.OPERATOR_TOKEN, "--ca-cert",
        caFile.toString(), "agents", "list");
    assertThat(r.exit()).as(r.toString()).isZero();

    r = new Cli().env(Map.of("AEGIS_CA_CERT", caFile.toString())).run("ctl", "--url", tls.baseUrl(), "--token",
        TestGateway.OPERATOR_TOKEN, "agents", "list");
    assertThat(r.exit()).as(r.toString()).isZero();
  }
}
