package io.aegis.cli;

import io.aegis.protocol.IdentityPublicKey;
import io.aegis.protocol.KeyFiles;
import io.aegis.server.api.ApiException;
import io.aegis.server.api.Scope;
import io.aegis.server.audit.AuditVerifier;
import io.aegis.server.auth.OperatorTokenRoutes;
import io.aegis.server.auth.OperatorTokens;
import io.aegis.server.config.Config;
import io.aegis.server.config.ConfigException;
import io.aegis.server.config.DatabaseUrl;
import io.aegis.server.store.Database;
import io.aegis.server.store.StoreException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code bin/aegis admin}: operator tasks done directly on the gateway's store, for when the
 * REST API cannot help — above all, getting a new operator token when the one printed at first
 * start is lost — and checking the audit log with nothing of the gateway's in between. It finds
 * the store exactly as {@code serve} does (the same environment variables, {@code DATABASE_URL},
 * else SQLite under {@code AEGIS_DATA_DIR}, relative to the current directory), says which one it
 * opened, and never creates one: a token made in a store the gateway does not use would be
 * refused.
 */
@Command(
    name = "admin",
    mixinStandardHelpOptions = true,
    description = {"Operator tasks on the gateway's store: operator tokens, the audit log.",
        "The store is found as 'serve' finds it (DATABASE_URL, else SQLite in "
        + "AEGIS_DATA_DIR, default ./data: run it where you run serve, with the same environment). It says which "
        + "store it opened on stderr. Operator tokens are shown once, when created; only their hashes are stored."},
    subcommands = {AdminCommand.CreateToken.class, AdminCommand.ListTokens.class, AdminCommand.RevokeToken.class,
        AdminCommand.Audit.class})
final class AdminCommand implements Runnable {

  @Spec CommandSpec spec;
  private final Map<String, String> env;

  AdminCommand(Map<String, String> env) {
    this.env = env;
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Opens the store the environment names, runs {@code task} on its tokens, closes it; exit codes as serve's. */
  static int withTokens(Map<String, String> env, Function<OperatorTokens, Integer> task) {
    return withTokens(env, new PrintWriter(System.err, true), task);
  }

  static int withTokens(Map<String, String> env, PrintWriter err, Function<OperatorTokens, Integer> task) {
    return withStore(env, err, (config, db) -> task.apply(new OperatorTokens(db, Optional.empty())));
  }

  /** Opens the store the environment names, runs {@code task}, closes it: 2 for a bad configuration, 1 for no store. */
  static int withStore(Map<String, String> env, PrintWriter err,
                       java.util.function.BiFunction<Config, Database, Integer> task) {
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
      return task.apply(config, db);
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

  /** What every subcommand shares: the environment, and where to print. */
  abstract static class Sub {
    @Spec CommandSpec spec;

    abstract Map<String, String> env();

    PrintWriter out() {
      return spec.commandLine().getOut();
    }

    PrintWriter err() {
      return spec.commandLine().getErr();
    }

    int withTokens(Function<OperatorTokens, Integer> task) {
      return AdminCommand.withTokens(env(), err(), task);
    }
  }

  @Command(name = "create-token", mixinStandardHelpOptions = true,
      description = "Create an operator token and print it (once).")
  static final class CreateToken extends Sub implements Callable<Integer> {
    @ParentCommand AdminCommand parent;

    @Option(names = "--name", required = true, description = "What the token is for (shown by list-tokens).")
    String name;

    @Option(names = "--scope", split = ",", paramLabel = "SCOPE",
        description = "What it may do (repeat, or separate with commas): read, send, broadcast, agents:write, "
            + "policies:write, approve, admin. Default: admin (every scope).")
    List<String> scopes = new ArrayList<>(List.of(Scope.ADMIN.wire()));

    @Option(names = "--agents-label", paramLabel = "NAME=VALUE",
        description = "Address only agents carrying this label (not with admin).")
    String agentsLabel;

    @Option(names = "--expires-in", paramLabel = "DURATION", description = "Refuse it after this long (30d, 12h); "
        + "default: never.")
    String expiresIn;

    @Override
    Map<String, String> env() {
      return parent.env;
    }

    @Override
    public Integer call() {
      OperatorTokens.Spec s;
      try {
        s = OperatorTokenRoutes.spec(name, scopes, agentsLabel == null ? null : Map.of("label", agentsLabel), expiresIn);
      } catch (ApiException e) {
        err().println("aegis: " + e.getMessage());
        return 2;
      }
      return withTokens(tokens -> {
        out().println(tokens.create(s, "bin/aegis admin").token());
        return 0;
      });
    }
  }

  @Command(name = "list-tokens", mixinStandardHelpOptions = true,
      description = "List operator tokens: id, state, created, scopes, label, expiry, name.")
  static final class ListTokens extends Sub implements Callable<Integer> {
    @ParentCommand AdminCommand parent;

    @Override
    Map<String, String> env() {
      return parent.env;
    }

    @Override
    public Integer call() {
      return withTokens(tokens -> {
        java.time.Instant now = java.time.Instant.now();
        for (OperatorTokens.Listed t : tokens.list()) {
          out().printf("%s  %-8s  %s  %-24s  %-16s  %-20s  %s%n", t.id(),
              t.revoked() ? "revoked" : t.active(now) ? "active" : "expired", t.createdAt(),
              t.scopes().stream().sorted().map(Scope::wire).collect(Collectors.joining(",")),
              t.agents().map(Object::toString).orElse("all agents"),
              t.expiresAt().map(e -> "expires " + e).orElse("no expiry"), t.name());
        }
        return 0;
      });
    }
  }

  @Command(name = "revoke-token", mixinStandardHelpOptions = true, description = "Revoke an operator token by id.")
  static final class RevokeToken extends Sub implements Callable<Integer> {
    @ParentCommand AdminCommand parent;

    @Option(names = "--id", required = true, description = "The token's id, from list-tokens.")
    String id;

    @Override
    Map<String, String> env() {
      return parent.env;
    }

    @Override
    public Integer call() {
      return withTokens(tokens -> {
        if (!tokens.revoke(id)) {
          err().println("aegis: no operator token with id " + id);
          return 1;
        }
        out().println("revoked " + id);
        return 0;
      });
    }
  }

  @Command(name = "audit", mixinStandardHelpOptions = true, description = "The audit log.",
      subcommands = {AdminCommand.Verify.class, AdminCommand.Prune.class})
  static final class Audit implements Runnable {
    @ParentCommand AdminCommand parent;
    @Spec CommandSpec spec;

    @Override
    public void run() {
      spec.commandLine().usage(spec.commandLine().getOut());
    }
  }

  @Command(name = "verify", mixinStandardHelpOptions = true,
      description = {"Check the audit log end to end: every entry's hash, the chain, no entry missing, and each "
          + "signed checkpoint under the backend key (AUTH_PUBLIC_KEY_PATH, and the next key if one is set).",
          "Exit 0: intact; 1: a changed, removed or reordered entry, or a bad checkpoint (each printed)."})
  static final class Verify extends Sub implements Callable<Integer> {
    @ParentCommand Audit audit;

    @Option(names = "--public-key", paramLabel = "FILE|BASE64",
        description = "Also trust checkpoints signed by this backend key (repeat): a key retired by a rotation.")
    List<String> extraKeys = new ArrayList<>();

    @Override
    Map<String, String> env() {
      return audit.parent.env;
    }

    @Override
    public Integer call() {
      return withStore(env(), err(), (config, db) -> {
        List<IdentityPublicKey> trusted = new ArrayList<>();
        try {
          if (Files.exists(config.publicKeyPath())) {
            trusted.add(KeyFiles.readPublicKey(config.publicKeyPath()));
          }
          if (config.nextPrivateKeyPath().isPresent() && Files.exists(config.nextPrivateKeyPath().get())) {
            trusted.add(KeyFiles.readPrivateKey(config.nextPrivateKeyPath().get()).publicKey());
          }
          for (String k : extraKeys) {
            trusted.add(KeyFiles.publicKeyArgument(k));
          }
        } catch (IOException | RuntimeException e) {
          err().println("aegis: cannot read a backend key: " + e.getMessage());
          return 2;
        }
        if (trusted.isEmpty()) {
          err().println("aegis: no backend public key at " + config.publicKeyPath() + " (AUTH_PUBLIC_KEY_PATH); give "
              + "one with --public-key");
          return 2;
        }
        AuditVerifier.Report r = new AuditVerifier(db, trusted).verify();
        if (!r.intact()) {
          out().println("audit log NOT intact: " + r.problems().size() + " problem(s) in " + r.entries() + " entries");
          r.problems().forEach(p -> out().println("  " + p));
          return 1;
        }
        out().printf("audit log intact: %d entries%s; %s%s%n", r.entries(),
            r.prunedThrough() > 0 ? " (pruned through entry " + r.prunedThrough() + ", a signed checkpoint)" : "",
            r.checkpoints() == 0
                ? "no signed checkpoint yet" : r.checkpoints() + " signed checkpoints, the last at entry " + r.lastSignedSeq(),
            r.lastSeq() > r.lastSignedSeq()
                ? "; entries " + (r.lastSignedSeq() + 1) + "-" + r.lastSeq() + " are covered by the chain until the "
                + "next checkpoint (AEGIS_AUDIT_SIGN_INTERVAL, or the node's stop)" : "");
        return 0;
      });
    }
  }
  @Command(name = "prune", mixinStandardHelpOptions = true,
      description = {"Remove the audit entries older than a duration, up to the newest signed checkpoint among "
          + "them (the checkpoint stays, so 'verify' goes on checking what is kept). Export what you must keep "
          + "first (GET /api/v1/audit, bin/aegis ctl audit --json).",
          "Run it where you run serve, with the same environment."})
  static final class Prune extends Sub implements Callable<Integer> {
    @ParentCommand Audit audit;

    @Option(names = "--older-than", required = true, paramLabel = "DURATION",
        description = "Entries recorded longer ago than this (90d, 12h) may go.")
    String olderThan;

    @Override
    Map<String, String> env() {
      return audit.parent.env;
    }

    @Override
    public Integer call() {
      java.time.Duration age;
      try {
        age = io.aegis.server.config.Durations.parse(olderThan);
      } catch (IllegalArgumentException e) {
        err().println("aegis: --older-than '" + olderThan + "' " + e.getMessage());
        return 2;
      }
      return withStore(env(), err(), (config, db) -> {
        io.aegis.server.audit.AuditLog.Pruned p = io.aegis.server.audit.AuditLog.prune(db,
            java.time.Instant.now().minus(age));
        out().println(p.removed() == 0 ? "nothing to prune: no signed checkpoint older than " + olderThan
            + " with entries after it"
            : "pruned " + p.removed() + " entries, through entry " + p.throughSeq() + " (a signed checkpoint)");
        return 0;
      });
    }
  }
}
