package io.aegis.bench.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * The result of one scenario run: a header (scenario, parameters, JDK, store, conditions such as
 * the machine's load and whether agents verified signatures), named figures with their unit,
 * and latency distributions. Printed as a table on stdout and optionally written as JSON.
 *
 * <p>Not thread-safe: the scenario's main thread fills it in at the end.
 */
public final class Report {
  /** One figure: a value, its unit and exactly what it means. */
  public record Figure(String name, Object value, String unit, String meaning) {}

  private final String scenario;
  private final Map<String, Object> parameters = new LinkedHashMap<>();
  private final Map<String, Object> conditions = new LinkedHashMap<>();
  private final List<String> notes = new ArrayList<>();
  private final List<Figure> figures = new ArrayList<>();
  private final Map<String, Map<String, Object>> latencies = new LinkedHashMap<>();
  private final Map<String, Object> extra = new LinkedHashMap<>();
  private final Instant started = Instant.now();

  public Report(String scenario) {
    this.scenario = scenario;
    conditions.put("jdk", System.getProperty("java.vm.name") + " " + Runtime.version());
    conditions.put("cpus", Runtime.getRuntime().availableProcessors());
    conditions.put("load_average_at_start", loadAverage());
  }

  public Report parameter(String name, Object value) {
    parameters.put(name, value);
    return this;
  }

  public Report condition(String name, Object value) {
    conditions.put(name, value);
    return this;
  }

  /** A line printed under the header (for example that signature verification was off). */
  public Report note(String note) {
    notes.add(note);
    return this;
  }

  public Report figure(String name, Object value, String unit, String meaning) {
    figures.add(new Figure(name, value, unit, meaning));
    return this;
  }

  public Report latency(String name, Histogram h, String meaning) {
    Map<String, Object> m = new LinkedHashMap<>(LatencyRecorder.summary(h));
    m.put("meaning", meaning);
    latencies.put(name, m);
    return this;
  }

  /** Free-form structured data for the JSON file only (per-phase breakdowns, raw samples). */
  public Report extra(String name, Object value) {
    extra.put(name, value);
    return this;
  }

  /** The 1-minute load average, or -1 where the platform does not report it. */
  public static double loadAverage() {
    return Math.round(ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage() * 100) / 100.0;
  }

  /** Prints the table. */
  public void print(PrintStream out) {
    conditions.put("load_average_at_end", loadAverage());
    out.println();
    out.println("== aegis bench " + scenario + " ==");
    parameters.forEach((k, v) -> out.printf("  %-28s %s%n", k, v));
    conditions.forEach((k, v) -> out.printf("  %-28s %s%n", k, v));
    for (String n : notes) {
      out.println("  NOTE: " + n);
    }
    out.println();
    if (!figures.isEmpty()) {
      out.printf("  %-36s %16s  %s%n", "figure", "value", "unit");
      for (Figure f : figures) {
        out.printf("  %-36s %16s  %s%n", f.name(), format(f.value()), f.unit());
      }
      out.println();
    }
    if (!latencies.isEmpty()) {
      out.printf("  %-26s %9s %9s %9s %9s %9s %9s%n", "latency (ms)", "count", "p50", "p90", "p99", "p99.9", "max");
      latencies.forEach((name, m) -> out.printf("  %-26s %9s %9s %9s %9s %9s %9s%n", name, m.get("count"),
          m.get("p50_ms"), m.get("p90_ms"), m.get("p99_ms"), m.get("p999_ms"), m.get("max_ms")));
      out.println();
    }
    out.println("  What the figures mean:");
    for (Figure f : figures) {
      out.println("    " + f.name() + ": " + f.meaning());
    }
    latencies.forEach((name, m) -> out.println("    " + name + ": " + m.get("meaning")));
    out.flush();
  }

  private static String format(Object v) {
    if (v instanceof Double d) {
      double a = Math.abs(d);
      return a >= 1000 ? String.format("%,.0f", d) : a >= 10 ? String.format("%.1f", d) : String.format("%.3f", d);
    }
    if (v instanceof Long || v instanceof Integer) {
      return String.format("%,d", ((Number) v).longValue());
    }
    return String.valueOf(v);
  }

  /** Writes the JSON form. */
  public void writeJson(Path file) throws IOException {
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("scenario", scenario);
    root.put("started_at", started.toString());
    root.put("finished_at", Instant.now().toString());
    root.put("parameters", parameters);
    root.put("conditions", conditions);
    root.put("notes", notes);
    Map<String, Object> figs = new LinkedHashMap<>();
    for (Figure f : figures) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("value", f.value());
      m.put("unit", f.unit());
      m.put("meaning", f.meaning());
      figs.put(f.name(), m);
    }
    root.put("figures", figs);
    root.put("latencies", latencies);
    if (!extra.isEmpty()) {
      root.put("details", extra);
    }
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), root);
  }
}
