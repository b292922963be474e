package io.aegis.bench.report;

import java.util.List;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU time used between two readings by the whole machine ({@code /proc/stat}), by this load
 * generator ({@code /proc/self/stat}) and by the gateway (when its pid is known), so a report can
 * say how much of the machine the measurement had and how much went to other people's work.
 * Linux only; elsewhere every figure is -1. Not thread-safe.
 */
public final class CpuMeter {
  private static final double TICKS = 100.0;

  /**
   * CPU used over an interval, in CPU-seconds.
   *
   * @param seconds   wall-clock length of the interval
   * @param machine   all CPUs, busy time (everything but idle and iowait)
   * @param bench     this process
   * @param gateway   the gateway process, or -1 if unknown
   */
  public record Usage(double seconds, double machine, double bench, double gateway) {
    /** What neither the bench nor the gateway used (other processes on the shared machine). */
    public double others() {
      return machine < 0 || bench < 0 ? -1 : Math.max(0, machine - bench - Math.max(0, gateway));
    }
  }

  private final List<Long> gatewayPids;
  private long startNanos;
  private double machine0;
  private double bench0;
  private double gateway0;

  public CpuMeter(long gatewayPid) {
    this(gatewayPid > 0 ? List.of(gatewayPid) : List.of());
  }

  /** CPU of several gateway processes (the nodes of a spawned cluster), summed. */
  public CpuMeter(List<Long> gatewayPids) {
    this.gatewayPids = List.copyOf(gatewayPids);
    start();
  }

  private double gatewayCpu() {
    if (gatewayPids.isEmpty()) {
      return -1;
    }
    double sum = 0;
    for (long pid : gatewayPids) {
      double c = processCpu(Long.toString(pid));
      if (c < 0) {
        return -1;
      }
      sum += c;
    }
    return sum;
  }

  public void start() {
    startNanos = System.nanoTime();
    machine0 = machineBusy();
    bench0 = processCpu("self");
    gateway0 = gatewayCpu();
  }

  public Usage stop() {
    double seconds = (System.nanoTime() - startNanos) / 1e9;
    double m = machineBusy();
    double b = processCpu("self");
    double g = gatewayCpu();
    return new Usage(seconds, m < 0 ? -1 : m - machine0, b < 0 ? -1 : b - bench0,
        g < 0 || gateway0 < 0 ? -1 : g - gateway0);
  }

  private static double machineBusy() {
    try {
      String line = Files.readAllLines(Path.of("/proc/stat")).get(0);
      String[] f = line.trim().split("\\s+");
      long busy = 0;
      for (int i = 1; i < f.length && i <= 8; i++) {
        if (i != 4 && i != 5) { // idle, iowait
          busy += Long.parseLong(f[i]);
        }
      }
      return busy / TICKS;
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** utime + stime of /proc/<pid>/stat in seconds, -1 if unreadable. */
  public static double processCpu(String pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / TICKS;
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }
}
