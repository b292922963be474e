package io.aegis.server.testing;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.UUID;
import org.junit.jupiter.api.Assumptions;

/**
 * The tests' PostgreSQL: database {@code aegis_test} on {@code AEGIS_TEST_PG} (default
 * 127.0.0.1:5432, user postgres, trust auth), created if missing. Each test gateway gets a schema
 * of its own, dropped afterwards, so tests never see each other's rows.
 *
 * <p>When PostgreSQL is unreachable the test is skipped, except with {@code CI=true}, where it
 * fails: CI must never pass by skipping the database tests.
 */
public final class TestPostgres {
  public static final String HOST = env("AEGIS_TEST_PG_HOST", "127.0.0.1");
  public static final String PORT = env("AEGIS_TEST_PG_PORT", "5432");
  public static final String USER = env("AEGIS_TEST_PG_USER", "postgres");
  public static final String DATABASE = "aegis_test";

  private static volatile Boolean available;

  private TestPostgres() {}

  private static String env(String name, String dflt) {
    String v = System.getenv(name);
    return v == null || v.isBlank() ? dflt : v;
  }

  static String url(String database) {
    return "jdbc:postgresql://" + HOST + ":" + PORT + "/" + database + "?user=" + USER;
  }

  /** Skips the calling test if PostgreSQL is unreachable (fails instead under CI=true). */
  public static void require() {
    if (available == null) {
      synchronized (TestPostgres.class) {
        if (available == null) {
          available = createDatabaseIfMissing();
        }
      }
    }
    if (!available) {
      if ("true".equalsIgnoreCase(System.getenv("CI"))) {
        throw new AssertionError("PostgreSQL at " + HOST + ":" + PORT + " is unreachable, and CI=true forbids skipping");
      }
      Assumptions.abort("PostgreSQL at " + HOST + ":" + PORT + " is unreachable");
    }
  }

  private static boolean createDatabaseIfMissing() {
    try (Connection c = DriverManager.getConnection(url("postgres")); Statement s = c.createStatement()) {
      try (var rs = s.executeQuery("SELECT 1 FROM pg_database WHERE datname = '" + DATABASE + "'")) {
        if (rs.next()) {
          return true;
        }
      }
      try {
        s.execute("CREATE DATABASE " + DATABASE);
      } catch (SQLException e) {
        if (!"42P04".equals(e.getSQLState()) && !"23505".equals(e.getSQLState())) {
          throw e; // not "already exists" (a concurrent test run created it first)
        }
      }
      return true;
    } catch (SQLException e) {
      return false;
    }
  }

  /** Creates a fresh schema and returns its name. */
  public static String createSchema() {
    require();
    String schema = "t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16).toLowerCase(Locale.ROOT);
    execute("CREATE SCHEMA " + schema);
    return schema;
  }

  public static void dropSchema(String schema) {
    execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
  }

  /** A DATABASE_URL (jdbc form) whose connections use {@code schema}. */
  public static String databaseUrl(String schema) {
    return url(DATABASE) + "&currentSchema=" + schema;
  }

  /** A DATABASE_URL whose connections use {@code schema}, reached at {@code host:port} (a proxy, say). */
  public static String databaseUrl(String schema, String host, int port) {
    return "jdbc:postgresql://" + host + ":" + port + "/" + DATABASE + "?user=" + USER + "&currentSchema=" + schema;
  }

  private static void execute(String sql) {
    try (Connection c = DriverManager.getConnection(url(DATABASE)); Statement s = c.createStatement()) {
      s.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException(sql + ": " + e.getMessage(), e);
    }
  }
}
