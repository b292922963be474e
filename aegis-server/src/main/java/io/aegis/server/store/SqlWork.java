package io.aegis.server.store;

import java.sql.Connection;
import java.sql.SQLException;

/** Work done with one connection; see {@link Database#read} and {@link Database#transaction}. */
@FunctionalInterface
public interface SqlWork<T> {
  T run(Connection connection) throws SQLException;
}
