package org.homeserver.platform.db;

import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.Optional;

/**
 * What a failure from PostgreSQL or the connection pool means for a retry. PostgreSQL aborts the
 * victim of a deadlock or a serialization conflict whole, so it can run again at once; a
 * connection that was lost or never made did nothing unless it was committing, in which case
 * nobody knows whether the commit happened. Anything else is a bug or a broken rule, not a
 * passing fault.
 */
public enum DatabaseFailure {
  /** PostgreSQL found a deadlock and rolled this transaction back. */
  DEADLOCK,
  /** PostgreSQL rolled this transaction back for a serialization conflict. */
  SERIALIZATION_CONFLICT,
  /** The connection was lost, refused, or not available in time (server restart, terminated backend, pool timeout). */
  CONNECTION,
  /** Neither: not a passing fault. */
  OTHER;

  /** The kind of {@code failure}, read from the first SQLException in its causes. */
  public static DatabaseFailure of(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof SQLTransientConnectionException) {
        return CONNECTION;
      }
      if (t instanceof SQLException sql && sql.getSQLState() != null) {
        return ofState(sql.getSQLState());
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return OTHER;
  }

  /** True when PostgreSQL rolled the transaction back: it did nothing and may run again at once. */
  public boolean rolledBack() {
    return this == DEADLOCK || this == SERIALIZATION_CONFLICT;
  }

  /** True for a failure the caller may simply try again (after the database had a moment). */
  public static boolean isTransient(Throwable failure) {
    return of(failure) != OTHER || unknownOutcome(failure).isPresent();
  }

  /** The unknown commit outcome among {@code failure}'s causes, if it is one. */
  public static Optional<CommitOutcomeUnknownException> unknownOutcome(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof CommitOutcomeUnknownException unknown) {
        return Optional.of(unknown);
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return Optional.empty();
  }

  static DatabaseFailure ofState(String state) {
    return switch (state) {
      case "40P01" -> DEADLOCK;                                 // deadlock_detected
      case "40001" -> SERIALIZATION_CONFLICT;                   // serialization_failure
      case "57P01", "57P02", "57P03", "53300" -> CONNECTION;    // shutdowns, cannot_connect_now, too_many_connections
      default -> state.startsWith("08") ? CONNECTION : OTHER;   // connection_exception and its subclasses
    };
  }
}
