package io.aegis.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * This process's limit on open files (each agent connection is one file descriptor here and one
 * in the gateway). {@code bin/aegis} raises the soft limit to the hard limit before starting the
 * JVM; only root (CAP_SYS_RESOURCE) can raise the hard limit.
 *
 * @param soft the soft limit (RLIMIT_NOFILE), -1 if unknown
 * @param hard the hard limit, -1 if unknown
 */
public record OpenFiles(long soft, long hard) {
  /** Descriptors a process needs besides its agent connections (JVM jars, HTTP pool, epoll, logs). */
  public static final int OVERHEAD = 300;

  /** Reads /proc/self/limits (Linux); unknown elsewhere. */
  public static OpenFiles ofThisProcess() {
    return of(Path.of("/proc/self/limits"));
  }

  static OpenFiles of(Path limits) {
    try {
      for (String line : Files.readAllLines(limits)) {
        if (line.startsWith("Max open files")) {
          String[] f = line.substring(26).trim().split("\\s+");
          return new OpenFiles(parse(f[0]), parse(f[1]));
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux
    }
    return new OpenFiles(-1, -1);
  }

  private static long parse(String s) {
    return s.equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(s);
  }

  /** The most agent connections this limit allows, or Long.MAX_VALUE if unknown. */
  public long maxConnections() {
    return soft < 0 ? Long.MAX_VALUE : Math.max(0, soft - OVERHEAD);
  }

  /** Why {@code connections} will not fit, or null if they do. */
  public String problem(String who, long connections) {
    if (connections <= maxConnections()) {
      return null;
    }
    String msg = who + " needs about " + (connections + OVERHEAD) + " open files for " + connections
        + " connections, but its limit is " + soft + " (soft) / " + hard + " (hard).";
    if (soft < hard) {
      msg += " Raise the soft limit (ulimit -n " + hard + "; bin/aegis does this for bench and serve).";
    } else {
      msg += " The hard limit is too low: raise it as root (ulimit -Hn, /etc/security/limits.conf, or LimitNOFILE=); "
          + "in a container without CAP_SYS_RESOURCE the host must raise it. At most " + maxConnections()
          + " connections fit.";
    }
    return msg;
  }
}
