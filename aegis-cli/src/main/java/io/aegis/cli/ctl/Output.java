package io.aegis.cli.ctl;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Iterator;
import java.util.Map;
import java.util.StringJoiner;

/**
 * Where a command's results go: tables and {@code key  value} lines for people (the default), or
 * JSON for scripts ({@code --json} / {@code -o json}): the gateway's own JSON, pretty-printed.
 * Results go to standard output; progress, warnings and errors to standard error.
 */
final class Output {
  private final PrintWriter out;
  private final PrintWriter err;
  private final boolean json;

  Output(PrintWriter out, PrintWriter err, boolean json) {
    this.out = out;
    this.err = err;
    this.json = json;
  }

  boolean json() {
    return json;
  }

  PrintWriter out() {
    return out;
  }

  PrintWriter err() {
    return err;
  }

  /** Prints {@code value} as pretty JSON. */
  void print(JsonNode value) {
    try {
      out.println(GatewayApi.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(value));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    out.flush();
  }

  /** Prints {@code items}: a JSON array, or {@code table} with one {@code row} per item. */
  void list(Iterable<JsonNode> items, Table table, java.util.function.Function<JsonNode, Object[]> row) {
    if (json) {
      com.fasterxml.jackson.databind.node.ArrayNode array = GatewayApi.JSON.createArrayNode();
      items.forEach(array::add);
      print(array);
      return;
    }
    items.forEach(item -> table.row(row.apply(item)));
    table.print(out);
  }

  /** Prints one line to standard output. */
  void line(String text) {
    out.println(text);
    out.flush();
  }

  /** Prints a note to standard error (progress, confirmations, what was skipped). */
  void note(String text) {
    err.println(text);
    err.flush();
  }

  /** Prints {@code key  value} lines, keys padded to one width; null values are left out. */
  void fields(Map<String, ?> fields) {
    int width = fields.keySet().stream().mapToInt(String::length).max().orElse(0);
    fields.forEach((k, v) -> {
      if (v != null && !v.toString().isEmpty()) {
        out.println(k + " ".repeat(width - k.length() + 2) + v);
      }
    });
    out.flush();
  }

  /** JSON on one line, for a value shown in a table cell or a field. */
  static String compact(JsonNode value) {
    if (value == null || value.isMissingNode() || value.isNull()) {
      return "";
    }
    return value.isTextual() ? value.asText() : value.toString();
  }

  /** A text field of {@code node}, or "" when absent. */
  static String text(JsonNode node, String field) {
    JsonNode v = node.path(field);
    return v.isMissingNode() || v.isNull() ? "" : v.asText();
  }

  /** An RFC 3339 time without its milliseconds (for tables), or "" when absent. */
  static String time(JsonNode node, String field) {
    String t = text(node, field);
    if (t.isEmpty()) {
      return t;
    }
    try {
      return Instant.parse(t).truncatedTo(ChronoUnit.SECONDS).toString();
    } catch (DateTimeParseException e) {
      return t;
    }
  }

  /** Labels as {@code k=v,k=v}. */
  static String labels(JsonNode labels) {
    StringJoiner j = new StringJoiner(",");
    for (Iterator<Map.Entry<String, JsonNode>> it = labels.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      j.add(e.getKey() + "=" + e.getValue().asText());
    }
    return j.toString();
  }
}
