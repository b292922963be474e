package io.aegis.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** {@code bin/aegis --version} names the version and the commit the build was made from. */
class VersionTest {
  @Test
  void printsTheVersionAndTheCommit() {
    Cli.Result r = new Cli().run("--version");
    assertThat(r.exit()).isZero();
    assertThat(r.out()).startsWith("aegis " + BuildInfo.version() + " (commit ");
    assertThat(BuildInfo.version()).matches("\\d+\\.\\d+\\.\\d+.*");
    // Built from this repository's git history: an abbreviated hash (the CI clone is a git repository too).
    assertThat(BuildInfo.commit()).matches("[0-9a-f]{12}(-dirty)?");
    assertThat(new Cli().run("ctl", "--version").out()).isEqualTo(r.out());
  }
}
