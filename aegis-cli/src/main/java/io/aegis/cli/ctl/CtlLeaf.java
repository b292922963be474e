package io.aegis.cli.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/** What every {@code ctl} command that acts shares: its gateway, its output, usage errors. */
abstract class CtlLeaf implements Callable<Integer> {
  @CommandLine.Spec CommandSpec spec;

  GatewayApi api() {
    return CtlCommand.of(spec).api(spec);
  }

  Output output(boolean jsonFlag) {
    return CtlCommand.of(spec).output(spec, jsonFlag);
  }

  /** A usage error (exit status 2) of this command. */
  CommandLine.ParameterException usage(String message) {
    return new CommandLine.ParameterException(spec.commandLine(), message);
  }

  /**
   * A JSON value given on the command line: inline JSON, {@code @FILE} for a file's content, or
   * {@code -} for standard input. A value that is not JSON is a usage error naming {@code option}.
   */
  JsonNode jsonArgument(String option, String value) {
    String text;
    try {
      if (value.equals("-")) {
        InputStream in = CtlCommand.of(spec).in();
        text = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      } else if (value.startsWith("@")) {
        text = Files.readString(Path.of(value.substring(1)));
      } else {
        text = value;
      }
    } catch (IOException e) {
      throw usage(option + ": cannot read " + value + ": " + e.getMessage());
    }
    try {
      JsonNode node = GatewayApi.JSON.readTree(text);
      if (node == null || node.isMissingNode()) {
        throw usage(option + ": no JSON given");
      }
      return node;
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw usage(option + ": not valid JSON: " + e.getOriginalMessage());
    }
  }

  /** {@code --label k=v} pairs as the query string of a label selector ({@code label=k=v&label=...}). */
  static String labelQuery(Map<String, String> labels) {
    StringBuilder q = new StringBuilder();
    labels.forEach((k, v) -> q.append(q.isEmpty() ? "" : "&").append("label=").append(GatewayApi.encode(k + "=" + v)));
    return q.toString();
  }

  /** {@code --label} pairs for people: {@code k=v,k=v}. */
  static String selector(Map<String, String> labels) {
    StringBuilder s = new StringBuilder();
    labels.forEach((k, v) -> s.append(s.isEmpty() ? "" : ",").append(k).append('=').append(v));
    return s.toString();
  }

  /** A path segment, percent-encoded. */
  static String seg(String s) {
    return GatewayApi.encode(s);
  }

  /** {@code --json}: JSON output instead of tables. */
  static final class JsonFlag {
    @CommandLine.Option(names = "--json", description = "Print JSON (for scripts) instead of a table.")
    boolean json;
  }
}
