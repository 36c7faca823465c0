package org.homeserver.platform.db;

import java.sql.SQLTransientConnectionException;

/** The database's health check finds it not answering, so a call fails at once instead of waiting for the pool. */
final class DatabaseNotAnsweringException extends RuntimeException {
  DatabaseNotAnsweringException() {
    super("the database does not answer its health check", new SQLTransientConnectionException(
        "the database does not answer its health check", "08006"));
  }
}
