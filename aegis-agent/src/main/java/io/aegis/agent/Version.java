package io.aegis.agent;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The SDK version, from {@code version.properties} (filled in by the build). */
final class Version {

  /** For example {@code 0.1.0-SNAPSHOT}; {@code dev} when run from an unfiltered source tree. */
  static final String SDK = load();

  private Version() {
  }

  private static String load() {
    try (InputStream in = Version.class.getResourceAsStream("version.properties")) {
      if (in == null) {
        return "dev";
      }
      Properties p = new Properties();
      p.load(in);
      String v = p.getProperty("version", "dev");
      return v.startsWith("${") ? "dev" : v;
    } catch (IOException e) {
      return "dev";
    }
  }
}
