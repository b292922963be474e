package io.aegis.server.cluster;

import java.io.IOException;
import java.net.Socket;
import org.junit.jupiter.api.Assumptions;

/**
 * The tests' Redis: {@code AEGIS_TEST_REDIS} (default redis://127.0.0.1:6379). Tests that use it
 * name their keys and channels uniquely, so they may share it. Unreachable: the test is skipped,
 * or fails under {@code CI=true}.
 */
final class TestRedis {
  private TestRedis() {}

  static String url() {
    String v = System.getenv("AEGIS_TEST_REDIS");
    return v == null || v.isBlank() ? "redis://127.0.0.1:6379" : v;
  }

  static void require() {
    java.net.URI u = java.net.URI.create(url());
    try (Socket s = new Socket(u.getHost(), u.getPort() < 0 ? 6379 : u.getPort())) {
      s.setSoTimeout(1000); // reachable
    } catch (IOException e) {
      String why = "Redis at " + url() + " is unreachable";
      if ("true".equalsIgnoreCase(System.getenv("CI"))) {
        throw new AssertionError(why + ", and CI=true forbids skipping");
      }
      Assumptions.abort(why);
    }
  }
}
