package io.aegis.bench.gateway;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

/**
 * Reads what the gateway says about itself: its Prometheus {@code /metrics} (resident memory
 * {@code process_memory_rss_bytes}, heap {@code jvm_memory_used_bytes{area="heap"}}, CPU time,
 * sessions open, …) and, when the gateway's process id is known (spawned by the bench, or
 * {@code --gateway-pid}), {@code /proc/<pid>/status} and {@code /proc/<pid>/stat}. It can also ask
 * that JVM for a full GC ({@code jcmd <pid> GC.run}) so that heap figures count live objects only.
 *
 * <p>Thread-safe; each call is a fresh reading.
 */
public final class GatewayProbe {
  /** Linux's USER_HZ, the unit of utime/stime in /proc/<pid>/stat (100 on every mainstream build). */
  private static final double CLOCK_TICKS = 100.0;

  /**
   * One reading.
   *
   * @param rssBytes        resident set size (from /proc when the pid is known, else from /metrics)
   * @param heapUsedBytes   JVM heap in use, all heap pools (from /metrics)
   * @param cpuSeconds      process CPU time, user + system (from /proc when the pid is known, else /metrics)
   * @param sessionsOpen    {@code aegis_sessions_open}
   * @param metrics         every sample of the scrape, {@code name{labels}} → value
   */
  public record Reading(double rssBytes, double heapUsedBytes, double cpuSeconds, double sessionsOpen,
                        Map<String, Double> metrics) {

    /** The sum of every sample of metric {@code name} whose labels contain {@code labelFragment} ("" for all). */
    public double sum(String name, String labelFragment) {
      return GatewayProbe.sum(metrics, name, labelFragment);
    }
  }

  private final GatewayClient api;
  private final long pid;

  /** @param pid the gateway's process id, or -1 if unknown (then only /metrics is read) */
  public GatewayProbe(GatewayClient api, long pid) {
    this.api = api;
    this.pid = pid;
  }

  public long pid() {
    return pid;
  }

  /** Reads /metrics (and /proc when possible). */
  public Reading read() {
    GatewayClient.Response r = GatewayClient.await(api.get("/metrics"), 30, "GET /metrics");
    if (r.status() != 200) {
      throw new IllegalStateException("GET /metrics answered HTTP " + r.status());
    }
    Map<String, Double> m = parse(r.text());
    double rss = sum(m, "process_memory_rss_bytes", "");
    double cpu = firstPresent(m, "process_cpu_time_ns_total", 1e-9, "process_cpu_seconds_total", 1.0);
    if (pid > 0) {
      OptionalLong procRss = statusKb("VmRSS");
      if (procRss.isPresent()) {
        rss = procRss.getAsLong() * 1024.0;
      }
      double procCpu = procCpuSeconds();
      if (procCpu >= 0) {
        cpu = procCpu;
      }
    }
    return new Reading(rss, sum(m, "jvm_memory_used_bytes", "area=\"heap\""), cpu, sum(m, "aegis_sessions_open", ""), m);
  }

  /** Peak resident set size (VmHWM) from /proc, if the pid is known. */
  public OptionalLong peakRssBytes() {
    OptionalLong kb = statusKb("VmHWM");
    return kb.isPresent() ? OptionalLong.of(kb.getAsLong() * 1024) : OptionalLong.empty();
  }

  /** The gateway's soft limit on open files (from /proc/<pid>/limits, else {@code process_files_max_files}), or -1. */
  public long maxOpenFiles() {
    if (pid > 0) {
      try {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/limits"))) {
          if (line.startsWith("Max open files")) {
            return Long.parseLong(line.substring(26).trim().split("\\s+")[0]);
          }
        }
      } catch (IOException | RuntimeException e) {
        // fall through to /metrics
      }
    }
    try {
      double v = read().sum("process_files_max_files", "");
      return v > 0 ? (long) v : -1;
    } catch (RuntimeException e) {
      return -1;
    }
  }

  /**
   * Asks the gateway's JVM for a full GC and waits for it. Returns false (and does nothing) when
   * the pid is unknown or jcmd fails; heap figures are then "as found".
   */
  public boolean forceGc() {
    if (pid <= 0) {
      return false;
    }
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    try {
      Process p = new ProcessBuilder(jcmd.toString(), Long.toString(pid), "GC.run")
          .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private OptionalLong statusKb(String field) {
    if (pid <= 0) {
      return OptionalLong.empty();
    }
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (line.startsWith(field + ":")) {
          return OptionalLong.of(Long.parseLong(line.substring(field.length() + 1).trim().split("\\s+")[0]));
        }
      }
    } catch (IOException | RuntimeException e) {
      // the process is gone or /proc is not Linux's
    }
    return OptionalLong.empty();
  }

  /** utime + stime of /proc/<pid>/stat, in seconds; -1 if unreadable. */
  private double procCpuSeconds() {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      // Fields after the command name, which is in parentheses and may contain spaces.
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / CLOCK_TICKS;
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  private static double firstPresent(Map<String, Double> m, String a, double scaleA, String b, double scaleB) {
    double va = sum(m, a, "");
    if (!Double.isNaN(va) && va > 0) {
      return va * scaleA;
    }
    double vb = sum(m, b, "");
    return Double.isNaN(vb) ? -1 : vb * scaleB;
  }

  static double sum(Map<String, Double> m, String name, String labelFragment) {
    double total = 0;
    boolean any = false;
    for (Map.Entry<String, Double> e : m.entrySet()) {
      String k = e.getKey();
      int brace = k.indexOf('{');
      String n = brace < 0 ? k : k.substring(0, brace);
      if (n.equals(name) && (labelFragment.isEmpty() || k.contains(labelFragment)) && !e.getValue().isNaN()) {
        total += e.getValue();
        any = true;
      }
    }
    return any ? total : Double.NaN;
  }

  /** Parses the Prometheus text format into {@code name{labels}} → value (comments skipped). */
  static Map<String, Double> parse(String text) {
    Map<String, Double> m = new HashMap<>();
    for (String line : text.split("\n")) {
      if (line.isEmpty() || line.charAt(0) == '#') {
        continue;
      }
      int sp = line.lastIndexOf(' ');
      if (sp <= 0) {
        continue;
      }
      try {
        m.put(line.substring(0, sp), Double.parseDouble(line.substring(sp + 1)));
      } catch (NumberFormatException e) {
        // not a sample line
      }
    }
    return m;
  }
}
