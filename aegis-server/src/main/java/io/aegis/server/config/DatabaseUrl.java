package io.aegis.server.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Where the durable store lives: the embedded SQLite file, or PostgreSQL given by
 * {@code DATABASE_URL} in the seed's {@code postgresql://user:pass@host:port/db} form or as a
 * {@code jdbc:postgresql:} URL.
 *
 * @param jdbcUrl the JDBC URL, without credentials
 * @param user    user name, if the URL carried one outside the JDBC parameters
 * @param password password, if the URL carried one; never logged (see {@link #redacted()})
 */
public record DatabaseUrl(Kind kind, String jdbcUrl, Optional<String> user, Optional<String> password) {

  public enum Kind { SQLITE, POSTGRESQL }

  public static DatabaseUrl sqlite(java.nio.file.Path file) {
    return new DatabaseUrl(Kind.SQLITE, "jdbc:sqlite:" + file.toAbsolutePath(), Optional.empty(), Optional.empty());
  }

  /** @throws IllegalArgumentException naming what is wrong, never echoing a password */
  public static DatabaseUrl parse(String url) {
    String s = url.trim();
    if (s.startsWith("jdbc:postgresql:")) {
      return new DatabaseUrl(Kind.POSTGRESQL, s, Optional.empty(), Optional.empty());
    }
    if (!s.startsWith("postgresql://") && !s.startsWith("postgres://")) {
      throw new IllegalArgumentException(
          "must be postgresql://user:pass@host:port/db or a jdbc:postgresql: URL");
    }
    URI uri;
    try {
      uri = new URI(s);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("is not a valid URL (" + e.getReason() + ")");
    }
    if (uri.getHost() == null) {
      throw new IllegalArgumentException("has no host");
    }
    String path = uri.getRawPath();
    if (path == null || path.length() < 2) {
      throw new IllegalArgumentException("has no database name (…/dbname)");
    }
    StringBuilder jdbc = new StringBuilder("jdbc:postgresql://").append(uri.getHost());
    if (uri.getPort() != -1) {
      jdbc.append(':').append(uri.getPort());
    }
    jdbc.append(path);
    if (uri.getRawQuery() != null) {
      jdbc.append('?').append(uri.getRawQuery());
    }
    Optional<String> user = Optional.empty();
    Optional<String> password = Optional.empty();
    String info = uri.getRawUserInfo();
    if (info != null) {
      int colon = info.indexOf(':');
      user = Optional.of(decode(colon < 0 ? info : info.substring(0, colon)));
      if (colon >= 0) {
        password = Optional.of(decode(info.substring(colon + 1)));
      }
    }
    return new DatabaseUrl(Kind.POSTGRESQL, jdbc.toString(), user, password);
  }

  private static String decode(String s) {
    return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
  }

  /** The URL with any password removed, for banners and logs. */
  public String redacted() {
    String u = jdbcUrl.replaceAll("(?i)(password=)[^&]*", "$1***");
    return user.map(name -> u + " (user " + name + ")").orElse(u);
  }

  @Override
  public String toString() {
    return redacted();
  }
}
