package io.aegis.cli.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Where {@code ctl} finds the gateway and its operator token. Each setting is taken from the
 * first place that has it: the command line ({@code --url}, {@code --token}, {@code --ca-cert}),
 * then the environment ({@code AEGIS_URL}, {@code AEGIS_TOKEN}, {@code AEGIS_CA_CERT}), then the
 * configuration file: {@code --config FILE}, else {@code $AEGIS_CONFIG}, else
 * {@code $XDG_CONFIG_HOME/aegis/ctl.json} (by default {@code ~/.config/aegis/ctl.json}), a JSON
 * object with {@code url}, {@code token} and {@code ca_cert}, all optional.
 *
 * @param url    the gateway's base URL (http or https)
 * @param token  the operator token
 * @param caCert a PEM file of CAs to trust besides the system's, or null
 */
record CtlSettings(URI url, String token, Path caCert) {
  static final Set<String> FILE_FIELDS = Set.of("url", "token", "ca_cert");

  /** What the command line said; null where it said nothing. */
  record Flags(String url, String token, Path caCert, Path config) {}

  /**
   * Resolves the settings.
   *
   * @param warn where a warning goes (a configuration file others may read)
   * @throws IllegalArgumentException a usage error: nothing names the URL or the token, a
   *     configuration file is unreadable or malformed, or the URL is not http(s)
   */
  static CtlSettings resolve(Flags flags, Map<String, String> env, java.io.PrintWriter warn) {
    Path file = flags.config() != null ? flags.config()
        : nonBlank(env.get("AEGIS_CONFIG")).map(Path::of).orElseGet(() -> defaultFile(env));
    JsonNode fromFile = read(file, flags.config() != null || env.get("AEGIS_CONFIG") != null, warn);
    String url = first(flags.url(), env.get("AEGIS_URL"), text(fromFile, "url"));
    String token = first(flags.token(), env.get("AEGIS_TOKEN"), text(fromFile, "token"));
    String ca = first(flags.caCert() == null ? null : flags.caCert().toString(), env.get("AEGIS_CA_CERT"),
        text(fromFile, "ca_cert"));
    if (url == null) {
      throw new IllegalArgumentException("no gateway URL: give --url, set AEGIS_URL, or put \"url\" in " + file);
    }
    if (token == null) {
      throw new IllegalArgumentException("no operator token: give --token, set AEGIS_TOKEN, or put \"token\" in "
          + file);
    }
    return new CtlSettings(parseUrl(url), token, ca == null ? null : Path.of(ca));
  }

  static Path defaultFile(Map<String, String> env) {
    Path base = nonBlank(env.get("XDG_CONFIG_HOME")).map(Path::of)
        .orElseGet(() -> Path.of(nonBlank(env.get("HOME")).orElse(System.getProperty("user.home")), ".config"));
    return base.resolve("aegis").resolve("ctl.json");
  }

  /** The gateway's base URL: http or https with a host; a trailing slash is dropped. */
  static URI parseUrl(String value) {
    URI u;
    try {
      u = URI.create(value.endsWith("/") ? value.substring(0, value.length() - 1) : value);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("the gateway URL '" + value + "' is not a URL: " + e.getMessage());
    }
    if (!"http".equals(u.getScheme()) && !"https".equals(u.getScheme()) || u.getHost() == null) {
      throw new IllegalArgumentException("the gateway URL must be http://host:port or https://host:port, was '"
          + value + "'");
    }
    return u;
  }

  private static JsonNode read(Path file, boolean named, java.io.PrintWriter warn) {
    if (!Files.exists(file)) {
      if (named) {
        throw new IllegalArgumentException("configuration file " + file + " does not exist");
      }
      return null;
    }
    JsonNode json;
    try {
      json = GatewayApi.JSON.readTree(Files.readAllBytes(file));
    } catch (IOException e) {
      throw new IllegalArgumentException("configuration file " + file + " is not readable JSON: " + e.getMessage());
    }
    if (json == null || !json.isObject()) {
      throw new IllegalArgumentException("configuration file " + file + " must hold a JSON object");
    }
    for (Iterator<String> names = json.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!FILE_FIELDS.contains(name)) {
        throw new IllegalArgumentException("configuration file " + file + ": unknown field '" + name
            + "' (known: url, token, ca_cert)");
      }
      if (!json.get(name).isTextual()) {
        throw new IllegalArgumentException("configuration file " + file + ": '" + name + "' must be a string");
      }
    }
    if (json.has("token") && readableByOthers(file)) {
      warn.println("aegis: warning: " + file + " holds an operator token and others may read it (chmod 600 "
          + file + ")");
      warn.flush();
    }
    return json;
  }

  private static boolean readableByOthers(Path file) {
    try {
      Set<PosixFilePermission> p = Files.getPosixFilePermissions(file);
      return p.contains(PosixFilePermission.GROUP_READ) || p.contains(PosixFilePermission.OTHERS_READ);
    } catch (IOException | UnsupportedOperationException e) {
      return false;
    }
  }

  private static String text(JsonNode json, String field) {
    return json != null && json.path(field).isTextual() ? nonBlank(json.path(field).asText()).orElse(null) : null;
  }

  private static String first(String... values) {
    for (String v : values) {
      if (v != null && !v.isBlank()) {
        return v.trim();
      }
    }
    return null;
  }

  private static Optional<String> nonBlank(String s) {
    return s == null || s.isBlank() ? Optional.empty() : Optional.of(s.trim());
  }
}
