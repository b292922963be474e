package io.aegis.server.registry;

import io.aegis.server.api.ApiException;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Agent labels: {@code name=value} pairs used to target policies, artifacts and broadcasts.
 * Names are 1-63 characters of {@code [A-Za-z0-9._/-]} starting with a letter or digit; values
 * are 0-255 characters of {@code [A-Za-z0-9._:/@+-]}; at most {@value #MAX_LABELS} per agent.
 */
public final class Labels {
  public static final int MAX_LABELS = 64;
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._/-]{0,62}");
  private static final Pattern VALUE = Pattern.compile("[A-Za-z0-9._:/@+-]{0,255}");

  private Labels() {}

  /** @throws ApiException 400 naming the first bad label */
  public static Map<String, String> validate(Map<String, String> labels) {
    if (labels == null) {
      return Map.of();
    }
    if (labels.size() > MAX_LABELS) {
      throw ApiException.invalid("at most " + MAX_LABELS + " labels are allowed, got " + labels.size());
    }
    for (var e : labels.entrySet()) {
      String error = error(e.getKey(), e.getValue());
      if (error != null) {
        throw ApiException.invalid(error);
      }
    }
    return Map.copyOf(labels);
  }

  /**
   * Checks one label (also used for the labels that policies and artifacts target, so that a
   * target no agent could ever have is refused). Returns null if valid, else the rule broken.
   */
  public static String error(String name, String value) {
    if (name == null || !NAME.matcher(name).matches()) {
      return "label name '" + name + "' is invalid: 1-63 characters of [A-Za-z0-9._/-], starting with a letter or digit";
    }
    if (value == null || !VALUE.matcher(value).matches()) {
      return "value of label '" + name + "' is invalid: 0-255 characters of [A-Za-z0-9._:/@+-]";
    }
    return null;
  }

  /** A selector {@code name=value} as used in queries and assignments. */
  public record Selector(String name, String value) {
    @Override
    public String toString() {
      return name + "=" + value;
    }
  }

  /** Parses {@code name=value}; 400 if malformed. */
  public static Selector parseSelector(String text) {
    int eq = text.indexOf('=');
    if (eq <= 0) {
      throw ApiException.invalid("label selector '" + text + "' must be name=value");
    }
    String name = text.substring(0, eq);
    String value = text.substring(eq + 1);
    validate(Map.of(name, value));
    return new Selector(name, value);
  }
}
