package org.homeserver.platform.testing;

import java.nio.file.Files;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import org.homeserver.platform.db.EmbeddedPostgresServer;
import org.homeserver.platform.db.PostgresLocation;

/**
 * A fresh, empty database for each test class on a real PostgreSQL: the one on localhost:5432 when
 * it answers (override with HOMESERVER_TEST_POSTGRES_URL), otherwise an embedded one started once
 * per test JVM. Databases are dropped when the JVM exits.
 */
public final class TestPostgres {
  private static final String URL = System.getenv().getOrDefault("HOMESERVER_TEST_POSTGRES_URL",
      "jdbc:postgresql://localhost:5432/postgres");
  private static final String USER = System.getenv().getOrDefault("HOMESERVER_TEST_POSTGRES_USER", "postgres");
  private static PostgresLocation server;

  private TestPostgres() {}

  /** A new database of its own, on the shared test server. */
  public static synchronized PostgresLocation freshDatabase() {
    PostgresLocation admin = server();
    String name = "hs_test_" + UUID.randomUUID().toString().replace("-", "");
    execute(admin, "create database " + name);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> execute(admin, "drop database if exists " + name + " with (force)")));
    String url = admin.jdbcUrl().substring(0, admin.jdbcUrl().lastIndexOf('/') + 1) + name;
    return new PostgresLocation(url, admin.user(), admin.password(), admin.embedded());
  }

  private static PostgresLocation server() {
    if (server == null) {
      PostgresLocation local = new PostgresLocation(URL, USER, "", false);
      server = reachable(local) ? local : startEmbedded();
    }
    return server;
  }

  private static boolean reachable(PostgresLocation location) {
    try (Connection c = DriverManager.getConnection(location.jdbcUrl(), location.user(), location.password())) {
      return c.isValid(5);
    } catch (SQLException unreachable) {
      return false;
    }
  }

  private static PostgresLocation startEmbedded() {
    try {
      EmbeddedPostgresServer embedded = EmbeddedPostgresServer.start(Files.createTempDirectory("hs-test-pg"), 55432);
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try {
          embedded.close();
        } catch (Exception ignored) {
          // The JVM is exiting.
        }
      }));
      return embedded.location();
    } catch (Exception e) {
      throw new IllegalStateException("no PostgreSQL on " + URL + " and the embedded one did not start", e);
    }
  }

  private static void execute(PostgresLocation location, String sql) {
    try (Connection c = DriverManager.getConnection(location.jdbcUrl(), location.user(), location.password());
         Statement s = c.createStatement()) {
      s.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException(sql + ": " + e.getMessage(), e);
    }
  }
}
