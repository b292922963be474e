package io.aegis.bench.scenario;

import java.util.List;

/** The scenario commands, in the order {@code bin/aegis bench --help} lists them. */
public final class Scenarios {
  private Scenarios() {}

  /** A fresh instance of every scenario command (picocli subcommands). */
  public static List<Object> all() {
    return List.of(new ConnectScenario(), new StormScenario(), new SendScenario(), new BroadcastScenario(), new PollVsPushScenario(), new PeerScenario(), new AbuseScenario());
  }
}
