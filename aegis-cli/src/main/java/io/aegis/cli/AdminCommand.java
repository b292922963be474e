package io.aegis.cli;

import io.aegis.server.auth.OperatorTokens;
import io.aegis.server.config.Config;
import io.aegis.server.config.ConfigException;
import io.aegis.server.config.DatabaseUrl;
import java.nio.file.Files;
import java.nio.file.Path;
import io.aegis.server.store.Database;
import io.aegis.server.store.StoreException;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bin/aegis admin}: operator tasks done directly on the gateway's store, for when the
 * REST API cannot help — above all, getting a new operator token when the one printed at first
 * start is lost. It finds the store exactly as {@code serve} does (the same environment variables,
 * {@code DATABASE_URL}, else SQLite under {@code AEGIS_DATA_DIR}, relative to the current
 * directory), says which one it opened, and never creates one: a token made in a store the
 * gateway does not use would be refused.
 */
@Command(
    name = "admin",
    mixinStandardHelpOptions = true,
    description = {"Operator tasks on the gateway's store: operator tokens.",
        "The store is found as 'serve' finds it (DATABASE_URL, else SQLite in "
        + "AEGIS_DATA_DIR, default ./data: run it where you run serve, with the same environment). It says which "
        + "store it opened on stderr. Operator tokens are shown once, when created; only their hashes are stored."},
    subcommands = {AdminCommand.CreateToken.class, AdminCommand.ListTokens.class, AdminCommand.RevokeToken.class})
final class AdminCommand implements Runnable {

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** Opens the store the environment names, runs {@code task}, closes it; exit codes as serve's. */
  static int withTokens(Function<OperatorTokens, Integer> task) {
    return withTokens(System.getenv(), task);
  }

  static int withTokens(java.util.Map<String, String> env, Function<OperatorTokens, Integer> task) {
    return withTokens(env, System.err, task);
  }

  static int withTokens(java.util.Map<String, String> env, java.io.PrintStream err,
                        Function<OperatorTokens, Integer> task) {
    Config config;
    try {
      config = Config.fromEnvironment(env);
    } catch (ConfigException e) {
      err.println("aegis: " + e.getMessage());
      return 2;
    }
    Path sqlite = sqliteFile(config);
    if (sqlite != null && !Files.exists(sqlite)) {
      err.println("aegis: no gateway store at " + sqlite + ": 'serve' has not run with AEGIS_DATA_DIR="
          + config.dataDir() + ". Run admin where you run serve, with the same AEGIS_DATA_DIR or DATABASE_URL.");
      return 1;
    }
    try (Database db = Database.open(config)) {
      err.println("aegis: store " + db.describe());
      return task.apply(new OperatorTokens(db, Optional.empty()));
    } catch (StoreException e) {
      err.println("aegis: " + e.getMessage());
      return 1;
    }
  }

  /** The SQLite file the configuration names, or null for PostgreSQL. */
  private static Path sqliteFile(Config config) {
    if (config.database().kind() != DatabaseUrl.Kind.SQLITE) {
      return null;
    }
    return Path.of(config.database().jdbcUrl().substring("jdbc:sqlite:".length()));
  }

  @Command(name = "create-token", mixinStandardHelpOptions = true,
      description = "Create an operator token and print it (once).")
  static final class CreateToken implements Callable<Integer> {
    @Option(names = "--name", required = true, description = "What the token is for (shown by list-tokens).")
    String name;

    @Override
    public Integer call() {
      return withTokens(tokens -> {
        System.out.println(tokens.create(name));
        return 0;
      });
    }
  }

  @Command(name = "list-tokens", mixinStandardHelpOptions = true, description = "List operator tokens (ids and names).")
  static final class ListTokens implements Callable<Integer> {
    @Override
    public Integer call() {
      return withTokens(tokens -> {
        for (OperatorTokens.Listed t : tokens.list()) {
          System.out.printf("%s  %-8s  %s  %s%n", t.id(), t.revoked() ? "revoked" : "active", t.createdAt(), t.name());
        }
        return 0;
      });
    }
  }

  @Command(name = "revoke-token", mixinStandardHelpOptions = true, description = "Revoke an operator token by id.")
  static final class RevokeToken implements Callable<Integer> {
    @Option(names = "--id", required = true, description = "The token's id, from list-tokens.")
    String id;

    @Override
    public Integer call() {
      return withTokens(tokens -> {
        if (!tokens.revoke(id)) {
          System.err.println("aegis: no operator token with id " + id);
          return 1;
        }
        System.out.println("revoked " + id);
        return 0;
      });
    }
  }
}
