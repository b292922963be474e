package io.aegis.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.server.testing.StoreKind;
import io.aegis.server.testing.TestGateway;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/aegis bench} as a user meets it: a failure is one line and exit status 1 (no stack
 * trace), and {@code --cleanup} deletes the agents the run registered.
 */
class BenchCommandTest {
  static TestGateway gw;

  @TempDir
  Path workDir;

  record Run(int exit, String out, String err) {}

  @BeforeAll
  static void start() {
    gw = TestGateway.start(StoreKind.SQLITE);
  }

  @AfterAll
  static void stop() {
    gw.close();
  }

  /** Runs bench in-process; it writes to System.out and System.err, which are captured meanwhile. */
  static synchronized Run bench(String... args) {
    PrintStream out = System.out;
    PrintStream err = System.err;
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    ByteArrayOutputStream e = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
      String[] all = new String[args.length + 1];
      all[0] = "bench";
      System.arraycopy(args, 0, all, 1, args.length);
      int exit = AegisCommand.commandLine(java.util.Map.of(), System.in, false).execute(all);
      return new Run(exit, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
  }

  String backendKey() {
    return gw.server().config().publicKeyPath().toString();
  }

  @Test
  void cleanupDeletesTheAgentsTheRunRegistered() {
    String prefix = "cleanup" + System.nanoTime() % 100000;
    Run r = bench("connect", "--url", gw.baseUrl(), "--token", TestGateway.OPERATOR_TOKEN, "--backend-key",
        backendKey(), "--agents", "3", "--hold", "1s", "--warmup", "0", "--prefix", prefix, "--work-dir",
        workDir.toString(), "--cleanup");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).contains("== aegis bench connect ==");
    assertThat(r.err()).contains("cleanup: deleted 3 of 3 agents");
    assertThat(gw.operator().get("/api/v1/agents?label=bench=" + prefix).json().path("agents")).isEmpty();
  }

  @Test
  void anUnreachableGatewayIsOneLineAndExit1() {
    Run r = bench("connect", "--url", "http://127.0.0.1:1", "--token", "t", "--backend-key", backendKey(),
        "--agents", "1", "--work-dir", workDir.toString());
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err().strip()).isEqualTo("aegis bench connect: cannot reach the gateway at http://127.0.0.1:1: "
        + "connection refused (is it running, and is --url right?)");
  }

  @Test
  void aBadBackendKeyOrTokenIsOneLineAndExit1() {
    Run r = bench("connect", "--url", gw.baseUrl(), "--token", "t", "--backend-key", "AAAA", "--agents", "1",
        "--work-dir", workDir.toString());
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err().strip()).isEqualTo("aegis bench connect: --backend-key AAAA is neither a key file nor a base64 "
        + "public key: Ed25519 public key must be 32 bytes, was 3");

    r = bench("connect", "--url", gw.baseUrl(), "--token", "wrong", "--backend-key", backendKey(), "--agents", "1",
        "--work-dir", workDir.toString());
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).contains("aegis bench connect: the gateway refused the operator token (HTTP 401)")
        .doesNotContain("\tat ").doesNotContain("LongAdder").doesNotContain("Exception");
  }

  @Test
  void aListOfUrlsIsACluster() {
    String prefix = "urls" + System.nanoTime() % 100000;
    Run r = bench("connect", "--url", gw.baseUrl() + ", " + gw.baseUrl(), "--token", TestGateway.OPERATOR_TOKEN,
        "--backend-key", backendKey(), "--agents", "4", "--hold", "1s", "--warmup", "0", "--prefix", prefix,
        "--work-dir", workDir.toString(), "--cleanup");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).contains("external, 2 nodes [" + gw.baseUrl() + ", " + gw.baseUrl() + "]");

    r = bench("connect", "--url", gw.baseUrl() + ",node2:8080", "--token", "t", "--backend-key", backendKey(),
        "--agents", "1", "--work-dir", workDir.toString());
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err().strip()).startsWith("aegis bench connect: --url node2:8080 is not a gateway URL");
  }
}
