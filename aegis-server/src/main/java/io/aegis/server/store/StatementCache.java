package io.aegis.server.store;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;

/**
 * Keeps the prepared statements of one long-lived connection, so that code written the usual
 * JDBC way ({@code try (PreparedStatement ps = c.prepareStatement(sql))}) prepares each SQL text
 * once instead of once per write. {@link #wrap} returns a connection whose
 * {@code prepareStatement(String)} hands out the cached statement, and whose statements'
 * {@code close()} only clears their parameters. A statement still in use (its SQL prepared
 * again before it was closed) is not shared: the second caller gets a fresh one.
 *
 * <p>Preparing is what SQLite spends most of a small write on; PostgreSQL's driver caches server
 * statements by itself but still builds a statement object per call.
 *
 * <p>Not thread-safe: one connection, one thread (the store writer's).
 */
final class StatementCache implements AutoCloseable {
  private final Connection connection;
  private final Map<String, Cached> statements = new HashMap<>();
  private final Connection wrapped;

  private static final class Cached {
    final PreparedStatement statement;
    boolean inUse;

    Cached(PreparedStatement statement) {
      this.statement = statement;
    }
  }

  StatementCache(Connection connection) {
    this.connection = connection;
    this.wrapped = (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(),
        new Class<?>[] {Connection.class}, this::onConnection);
  }

  /** The connection to hand to writes. */
  Connection wrap() {
    return wrapped;
  }

  Connection raw() {
    return connection;
  }

  private Object onConnection(Object proxy, Method m, Object[] args) throws Throwable {
    if (m.getName().equals("prepareStatement") && args != null && args.length == 1 && args[0] instanceof String sql) {
      Cached c = statements.get(sql);
      if (c == null) {
        c = new Cached(connection.prepareStatement(sql));
        statements.put(sql, c);
      } else if (c.inUse) {
        return connection.prepareStatement(sql); // nested use of the same SQL: an ordinary statement
      }
      c.inUse = true;
      Cached held = c;
      return Proxy.newProxyInstance(PreparedStatement.class.getClassLoader(), new Class<?>[] {PreparedStatement.class},
          (InvocationHandler) (p, sm, sargs) -> onStatement(held, sm, sargs));
    }
    return invoke(connection, m, args);
  }

  private static Object onStatement(Cached c, Method m, Object[] args) throws Throwable {
    if (m.getName().equals("close")) {
      if (c.inUse) {
        c.inUse = false;
        c.statement.clearParameters();
        c.statement.clearBatch();
      }
      return null;
    }
    if (m.getName().equals("isClosed")) {
      return !c.inUse;
    }
    return invoke(c.statement, m, args);
  }

  private static Object invoke(Object target, Method m, Object[] args) throws Throwable {
    try {
      return m.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }

  /** Closes every cached statement (before the connection goes back or away). */
  @Override
  public void close() {
    for (Cached c : statements.values()) {
      try {
        c.statement.close();
      } catch (SQLException ignored) {
        // the connection is being dropped anyway
      }
    }
    statements.clear();
  }
}
