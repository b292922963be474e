package io.aegis.server.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The README's configuration table is written from {@link Setting}: this test fails when the two
 * disagree, and its message is the table to paste into the README.
 */
class ReadmeConfigurationTest {

  /** The table as {@link Setting} says it should read. */
  static String table() {
    StringBuilder b = new StringBuilder("| Variable | Default | Meaning |\n| --- | --- | --- |\n");
    for (Setting s : Setting.values()) {
      String dflt = s.defaultValue().isEmpty() ? "(unset)" : "`" + s.defaultValue() + "`";
      b.append("| `").append(s.name()).append("` | ").append(dflt).append(" | ")
          .append(s.description().replace("|", "\\|")).append(" |\n");
    }
    return b.toString();
  }

  static Path readme() {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.isRegularFile(dir.resolve("README.md")) && Files.isDirectory(dir.resolve("aegis-server"))) {
        return dir.resolve("README.md");
      }
    }
    throw new AssertionError("README.md not found above " + Path.of("").toAbsolutePath());
  }

  @Test
  void theReadmeTableMatchesTheSettings() throws IOException {
    String readme = Files.readString(readme());
    assertThat(readme.contains(table()))
        .as("README.md's configuration table differs from Setting; it should read:%n%n%s", table())
        .isTrue();
    // And no variable is described twice, or in a second, stale table.
    for (Setting s : Setting.values()) {
      assertThat(readme.split("\\| `" + s.name() + "` \\|", -1)).as(s.name()).hasSize(2);
    }
  }
}
