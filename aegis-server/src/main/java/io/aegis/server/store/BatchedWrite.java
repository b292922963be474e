package io.aegis.server.store;

import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * One statement that may share a JDBC batch with the other writes of the same SQL in a group
 * commit (see {@link WriteBatcher#submit(BatchedWrite)}): PostgreSQL then gets them in one round
 * trip, and the driver rewrites a batch of inserts into one multi-row insert.
 *
 * <p>Only for writes whose order relative to other writes in the same group commit does not
 * matter: the batcher runs all writes of one SQL text together, at the place of the first.
 */
public interface BatchedWrite {
  /** The SQL, the same text for every write that may share a batch. */
  String sql();

  /** Binds this write's parameters. */
  void bind(PreparedStatement statement) throws SQLException;

  /** Binds a statement's parameters. */
  @FunctionalInterface
  interface Binder {
    void bind(PreparedStatement ps) throws SQLException;
  }

  /** A write of {@code sql} whose parameters {@code binder} binds. */
  static BatchedWrite of(String sql, Binder binder) {
    record Write(String sql, Binder binder) implements BatchedWrite {
      @Override
      public void bind(PreparedStatement statement) throws SQLException {
        binder.bind(statement);
      }
    }
    return new Write(sql, binder);
  }
}
