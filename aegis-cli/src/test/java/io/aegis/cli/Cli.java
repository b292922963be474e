package io.aegis.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;

/**
 * Runs {@code bin/aegis} in-process, as the launcher would, with a given environment and
 * standard input, and captures what it prints and its exit status.
 */
public final class Cli {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** What one invocation did. */
  public record Result(int exit, String out, String err) {
    /** Standard output as JSON. */
    public JsonNode json() {
      try {
        return JSON.readTree(out);
      } catch (IOException e) {
        throw new UncheckedIOException("not JSON: " + out + "\nstderr: " + err, e);
      }
    }

    @Override
    public String toString() {
      return "exit " + exit + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
  }

  private Map<String, String> env = Map.of();
  private String stdin = "";
  private final List<String> prefix = new ArrayList<>();

  /** The environment {@code ctl} reads its settings from (nothing of the test JVM's). */
  public Cli env(Map<String, String> env) {
    this.env = env;
    return this;
  }

  /** What standard input holds. */
  public Cli stdin(String text) {
    this.stdin = text;
    return this;
  }

  /** Arguments put before every invocation's own. */
  public Cli prefix(String... args) {
    Collections.addAll(prefix, args);
    return this;
  }

  public Result run(String... args) {
    return run(new StringWriter(), args);
  }

  /** As {@link #run(String...)}, writing standard output to {@code out}, which a test may watch meanwhile. */
  public Result run(StringWriter out, String... args) {
    List<String> all = new ArrayList<>(prefix);
    Collections.addAll(all, args);
    CommandLine cl = AegisCommand.commandLine(env, new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
        false);
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int exit = cl.execute(all.toArray(String[]::new));
    return new Result(exit, out.toString(), err.toString());
  }
}
