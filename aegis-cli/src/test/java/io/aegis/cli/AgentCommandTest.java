package io.aegis.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.protocol.IdentityKeyPair;
import io.aegis.protocol.KeyFiles;
import io.aegis.server.testing.AgentIdentity;
import io.aegis.server.testing.StoreKind;
import io.aegis.server.testing.TestGateway;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code bin/aegis agent --exit-on-eof} against a real gateway: exit status 0 once what was sent
 * is acknowledged, 1 with the reason in words when the session never opened.
 */
class AgentCommandTest {
  static TestGateway gw;
  static TestGateway tls;

  @TempDir
  static Path dir;

  record Run(int exit, String out, String err) {}

  @BeforeAll
  static void start() throws Exception {
    gw = TestGateway.start(StoreKind.SQLITE);
    tls = TlsGateways.start(dir).gateway();
  }

  @AfterAll
  static void stop() {
    gw.close();
    tls.close();
  }

  static Path keyFile(IdentityKeyPair key) throws Exception {
    Path f = Files.createTempFile(dir, "agent", ".key");
    Files.delete(f);
    KeyFiles.writePrivateKey(f, key, false);
    return f;
  }

  static Run agent(String stdin, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    List<String> all = new ArrayList<>(List.of(args));
    all.add("--exit-on-eof");
    int exit = new CommandLine(new AgentCommand(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8)))
        .execute(all.toArray(String[]::new));
    return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  static String backendKeyFile(TestGateway g) {
    return g.server().config().publicKeyPath().toString();
  }

  @Test
  void sendsWhatStandardInputSaysAndExits0OnceAcknowledged() throws Exception {
    AgentIdentity a = AgentIdentity.create("eof").register(gw.operator(), Map.of());
    Run r = agent("events {\"type\": \"login\", \"body\": {\"user\": \"alice\"}}\n", "--url", gw.baseUrl(), "--id",
        a.id(), "--key", keyFile(a.key()).toString(), "--backend-key", backendKeyFile(gw));
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.err()).contains("aegis-agent: connected: session ");
    assertThat(gw.operator().get("/api/v1/events?agent_id=" + a.id()).json().path("events").get(0)
        .path("body").path("user").asText()).isEqualTo("alice");
  }

  @Test
  void anUnknownAgentNeverOpensAndSaysWhyWithExit1() throws Exception {
    IdentityKeyPair key = IdentityKeyPair.generate(new SecureRandom());
    // --backend: the flag's old name still works.
    Run r = agent("", "--backend", gw.baseUrl(), "--id", "nobody-" + System.nanoTime(), "--key",
        keyFile(key).toString(), "--backend-key", gw.server().identity().publicKey().base64());
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).contains("aegis-agent: the session never opened: the gateway does not accept this agent "
        + "(HTTP 401): the agent id is not registered, the agent is inactive, or --key is not the key registered");
  }

  @Test
  void aBackendKeyOtherThanThePinnedOneIsAPinMismatch() throws Exception {
    AgentIdentity a = AgentIdentity.create("pin").register(gw.operator(), Map.of());
    Run r = agent("", "--url", gw.baseUrl(), "--id", a.id(), "--key", keyFile(a.key()).toString(), "--backend-key",
        IdentityKeyPair.generate(new SecureRandom()).publicKey().base64());
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).contains("the session never opened: pin mismatch: the gateway's backend key is not the pinned "
        + "--backend-key");
  }

  @Test
  void anUnreachableGatewayIsSaidSoWhenTheOpenTimeoutEnds() throws Exception {
    Run r = agent("", "--url", "http://127.0.0.1:1", "--id", "a", "--key",
        keyFile(IdentityKeyPair.generate(new SecureRandom())).toString(), "--backend-key",
        gw.server().identity().publicKey().base64(), "--open-timeout", "5s");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).contains("the session never opened: gateway unreachable: connection refused");
  }

  @Test
  void anUntrustedCertificateHintsAtCaCert() throws Exception {
    AgentIdentity a = AgentIdentity.create("tls").register(tls.operator(), Map.of());
    Run r = agent("", "--url", tls.baseUrl(), "--id", a.id(), "--key", keyFile(a.key()).toString(), "--backend-key",
        backendKeyFile(tls));
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).contains("the session never opened: TLS: the gateway's certificate is not trusted")
        .contains("give that CA with --ca-cert FILE");
  }

  @Test
  void withoutAUrlItIsAUsageError() throws Exception {
    Run r = agent("", "--id", "a", "--key", keyFile(IdentityKeyPair.generate(new SecureRandom())).toString(),
        "--backend-key", "x");
    assertThat(r.exit()).isEqualTo(2);
  }
}
