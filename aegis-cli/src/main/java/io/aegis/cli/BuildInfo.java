package io.aegis.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/**
 * The version and git commit this build was made from: {@code io/aegis/cli/build.properties},
 * written by the build (aegis-cli's POM). A build from a tree with uncommitted changes says so.
 */
public final class BuildInfo {
  private static final Properties PROPERTIES = load();

  private BuildInfo() {}

  /** The project version, such as {@code 0.1.0-SNAPSHOT}. */
  public static String version() {
    return PROPERTIES.getProperty("version", "development build");
  }

  /** The abbreviated commit, {@code unknown} when built outside git; {@code -dirty} if the tree had changes. */
  public static String commit() {
    String c = PROPERTIES.getProperty("commit", "unknown");
    return "true".equals(PROPERTIES.getProperty("dirty")) ? c + "-dirty" : c;
  }

  private static Properties load() {
    Properties p = new Properties();
    try (InputStream in = BuildInfo.class.getResourceAsStream("build.properties")) {
      if (in != null) {
        p.load(in);
      }
    } catch (IOException e) {
      // no build information: the defaults say so
    }
    return p;
  }
}
