package org.homeserver.platform.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Enumeration;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.homeserver.platform.db.EmbeddedPostgresServer;
import org.homeserver.platform.db.PostgresLocation;
import org.homeserver.platform.db.ServiceDatabase;

/**
 * A fresh database for each caller on a real PostgreSQL: the one on localhost:5432 when it answers
 * (override with HOMESERVER_TEST_POSTGRES_URL), otherwise an embedded one started once per test JVM.
 *
 * <p>Every fresh database is a copy of a template in which every schema whose Flyway set is on the
 * classpath ({@code db/<schema>/V*.sql}) is already migrated, so a test pays for a file copy, not for
 * the migrations; the services' own Flyway runs still check the copy and find it current. The
 * template is named after a digest of those migrations, built once per server (under an advisory
 * lock, so concurrent test JVMs agree) and kept for the next run. Fresh databases are dropped when
 * the JVM exits.
 */
public final class TestPostgres {
  private static final String URL = System.getenv().getOrDefault("HOMESERVER_TEST_POSTGRES_URL",
      "jdbc:postgresql://localhost:5432/postgres");
  private static final String USER = System.getenv().getOrDefault("HOMESERVER_TEST_POSTGRES_USER", "postgres");
  /** The advisory lock under which templates are built; any constant shared by every test JVM. */
  private static final long TEMPLATE_LOCK = 0x68735f746d706cL;
  private static PostgresLocation server;
  private static String template;

  private TestPostgres() {}

  /** A new database of its own, on the shared test server, with every schema on the classpath migrated. */
  public static synchronized PostgresLocation freshDatabase() {
    PostgresLocation admin = server();
    if (template == null) {
      template = buildTemplate(admin, migrations());
    }
    String name = "hs_test_" + UUID.randomUUID().toString().replace("-", "");
    execute(admin, "create database " + name + " template " + template);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> execute(admin, "drop database if exists " + name + " with (force)")));
    return database(admin, name);
  }

  private static PostgresLocation database(PostgresLocation admin, String name) {
    String url = admin.jdbcUrl().substring(0, admin.jdbcUrl().lastIndexOf('/') + 1) + name;
    return new PostgresLocation(url, admin.user(), admin.password(), admin.embedded());
  }

  /** The template for these migrations (schema -> file name -> content digest), built if missing. */
  private static String buildTemplate(PostgresLocation admin, Map<String, Map<String, String>> migrations) {
    String name = "hs_template_" + digest(migrations.toString()).substring(0, 16);
    try (Connection c = DriverManager.getConnection(admin.jdbcUrl(), admin.user(), admin.password());
         Statement sql = c.createStatement()) {
      sql.execute("select pg_advisory_lock(" + TEMPLATE_LOCK + ")");
      try {
        try (ResultSet exists = sql.executeQuery("select 1 from pg_database where datname = '" + name + "'")) {
          if (exists.next()) {
            return name;
          }
        }
        // Built under another name and renamed when complete, so a run killed halfway leaves no half template.
        String building = name + "_building";
        sql.execute("drop database if exists " + building + " with (force)");
        sql.execute("create database " + building);
        migrations.keySet().forEach(schema -> ServiceDatabase.migrate(database(admin, building), schema));
        sql.execute("alter database " + building + " rename to " + name);
        return name;
      } finally {
        sql.execute("select pg_advisory_unlock(" + TEMPLATE_LOCK + ")");
      }
    } catch (SQLException e) {
      throw new IllegalStateException("could not build the test template database " + name + ": " + e.getMessage(), e);
    }
  }

  /** Every Flyway migration on the classpath: schema -> file name -> digest of its content, sorted. */
  private static Map<String, Map<String, String>> migrations() {
    Map<String, Map<String, String>> all = new TreeMap<>();
    try {
      Enumeration<URL> roots = TestPostgres.class.getClassLoader().getResources("db");
      while (roots.hasMoreElements()) {
        URL root = roots.nextElement();
        if (root.getProtocol().equals("jar")) {
          // A jar of its own, not the class loader's cached one, which closing would break.
          Path file = Path.of(((JarURLConnection) root.openConnection()).getJarFileURL().toURI());
          try (JarFile jar = new JarFile(file.toFile())) {
            for (JarEntry entry : jar.stream().toList()) {
              String[] parts = entry.getName().split("/");
              if (parts.length == 3 && parts[0].equals("db") && parts[2].endsWith(".sql")) {
                try (InputStream in = jar.getInputStream(entry)) {
                  all.computeIfAbsent(parts[1], s -> new TreeMap<>()).put(parts[2], digest(in.readAllBytes()));
                }
              }
            }
          }
        } else {
          try (Stream<Path> files = Files.walk(Path.of(root.toURI()), 2)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".sql")).toList()) {
              all.computeIfAbsent(file.getParent().getFileName().toString(), s -> new TreeMap<>())
                  .put(file.getFileName().toString(), digest(Files.readAllBytes(file)));
            }
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
    return all;
  }

  private static String digest(String text) {
    return digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  private static String digest(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
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
