package org.homeserver.platform.db;

/** Where a PostgreSQL is and how to log in; the same for every service of a process. */
public record PostgresLocation(String jdbcUrl, String user, String password, boolean embedded) {
  @Override
  public String toString() {
    return (embedded ? "embedded " : "") + jdbcUrl;
  }
}
