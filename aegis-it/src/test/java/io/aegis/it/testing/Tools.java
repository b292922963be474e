package io.aegis.it.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/** What the cluster tests need from the machine: programs, free ports, the repository. */
public final class Tools {
  private Tools() {}

  /**
   * The path of {@code program} (found in /usr/sbin, /usr/bin, /sbin or /bin). Skips the calling test when it
   * is missing, or fails it under {@code CI=true}, where .ci/run installs it.
   */
  public static String require(String program, String debianPackage) {
    for (String dir : new String[] {"/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/bin"}) {
      Path p = Path.of(dir, program);
      if (Files.isExecutable(p)) {
        return p.toString();
      }
    }
    String why = program + " is not installed (Debian package " + debianPackage + ")";
    if ("true".equalsIgnoreCase(System.getenv("CI"))) {
      throw new AssertionError(why + ", and CI=true forbids skipping");
    }
    Assumptions.abort(why);
    return null;
  }

  /** A TCP port that was free a moment ago on 127.0.0.1. */
  public static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The repository's root (the directory with aegis-server and deploy in it). */
  public static Path repository() {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.isDirectory(dir.resolve("aegis-server")) && Files.isDirectory(dir.resolve("deploy"))) {
        return dir;
      }
    }
    throw new AssertionError("the repository root is not above " + Path.of("").toAbsolutePath());
  }
}
