package io.aegis.server.store;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;

/**
 * What differs between the two stores, kept to the few places where SQL text cannot be shared.
 * Times: PostgreSQL keeps the seed's {@code TIMESTAMP} columns (UTC); SQLite keeps milliseconds
 * since the epoch in {@code INTEGER} columns. UUID and JSON values bind as strings on both
 * (the PostgreSQL connection uses {@code stringtype=unspecified}, so the server casts them).
 */
public enum Dialect {
  SQLITE {
    @Override
    public void setInstant(PreparedStatement ps, int index, Instant value) throws SQLException {
      if (value == null) {
        ps.setNull(index, java.sql.Types.BIGINT);
      } else {
        ps.setLong(index, value.toEpochMilli());
      }
    }

    @Override
    public Instant getInstant(ResultSet rs, String column) throws SQLException {
      long ms = rs.getLong(column);
      return rs.wasNull() ? null : Instant.ofEpochMilli(ms);
    }

    @Override
    public String jsonField(String column, String field) {
      return "json_extract(" + column + ", '$." + field + "')";
    }

    @Override
    public boolean isUniqueViolation(SQLException e) {
      // SQLITE_CONSTRAINT_PRIMARYKEY (1555) and SQLITE_CONSTRAINT_UNIQUE (2067), or their base code.
      String msg = String.valueOf(e.getMessage());
      return e.getErrorCode() == 19 && (msg.contains("UNIQUE") || msg.contains("PRIMARYKEY"))
          || msg.contains("SQLITE_CONSTRAINT_UNIQUE") || msg.contains("SQLITE_CONSTRAINT_PRIMARYKEY");
    }
  },

  POSTGRESQL {
    @Override
    public void setInstant(PreparedStatement ps, int index, Instant value) throws SQLException {
      if (value == null) {
        ps.setNull(index, java.sql.Types.TIMESTAMP);
      } else {
        ps.setObject(index, LocalDateTime.ofInstant(value, ZoneOffset.UTC));
      }
    }

    @Override
    public Instant getInstant(ResultSet rs, String column) throws SQLException {
      LocalDateTime t = rs.getObject(column, LocalDateTime.class);
      return t == null ? null : t.toInstant(ZoneOffset.UTC);
    }

    @Override
    public String jsonField(String column, String field) {
      return "(" + column + " ->> '" + field + "')";
    }

    @Override
    public boolean isUniqueViolation(SQLException e) {
      return "23505".equals(e.getSQLState());
    }
  };

  /** Binds a point in time (null allowed) the way this store keeps times. */
  /** What follows a SELECT to lock the rows it reads until the transaction ends (SQLite has one writer: nothing). */
  public String forUpdate() {
    return this == POSTGRESQL ? " FOR UPDATE" : "";
  }

  public abstract void setInstant(PreparedStatement ps, int index, Instant value) throws SQLException;

  /** Reads a point in time (null if the column is NULL). */
  public abstract Instant getInstant(ResultSet rs, String column) throws SQLException;

  /**
   * SQL for the text of top-level field {@code field} of the JSON in {@code column}. Both are
   * trusted identifiers from our own code, never user input.
   */
  public abstract String jsonField(String column, String field);

  /** Whether {@code e} reports a unique or primary-key constraint violation. */
  public abstract boolean isUniqueViolation(SQLException e);
}
