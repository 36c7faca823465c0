package org.homeserver.platform.db;

import java.sql.Array;
import java.util.List;
import org.jdbi.v3.core.argument.Argument;

/** Array parameters jdbi has no type for, as statements that take a batch's rows in {@code unnest} need them. */
public final class SqlArrays {
  private SqlArrays() {}

  /** A bytea[] parameter; null elements stay null. */
  public static Argument bytea(List<byte[]> values) {
    return (position, statement, ctx) -> {
      Array array = statement.getConnection().createArrayOf("bytea", values.toArray(byte[][]::new));
      statement.setArray(position, array);
    };
  }
}
