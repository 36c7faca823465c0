package org.homeserver.bench.load;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/** The PostgreSQL server a run uses: the homeserver's scratch database and pgbench's both live on it. */
public record Postgres(String host, int port, String user, String password) {
  /** The database every PostgreSQL has, from which scratch databases are created and dropped. */
  private static final String MAINTENANCE_DATABASE = "postgres";

  String jdbcUrl(String database) {
    return "jdbc:postgresql://" + host + ":" + port + "/" + database;
  }

  /** The server's version, e.g. {@code 15.20}. */
  public String version() throws SQLException {
    return query("show server_version");
  }

  /** How many connections the server takes; pgbench cannot open more. */
  int maxConnections() throws SQLException {
    return Integer.parseInt(query("show max_connections"));
  }

  /** A new empty database named {@code name}, dropped when closed. */
  public ScratchDatabase createScratch(String name) throws SQLException {
    execute(MAINTENANCE_DATABASE, "create database " + name);
    return new ScratchDatabase(this, name);
  }

  void execute(String database, String sql) throws SQLException {
    try (Connection c = connect(database); Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  private String query(String sql) throws SQLException {
    try (Connection c = connect(MAINTENANCE_DATABASE); Statement s = c.createStatement();
         ResultSet r = s.executeQuery(sql)) {
      r.next();
      return r.getString(1);
    }
  }

  private Connection connect(String database) throws SQLException {
    return DriverManager.getConnection(jdbcUrl(database), user, password);
  }

  /** Whether the server's autovacuum is on, as in any deployment (this machine's CI configuration turns it off). */
  public boolean autovacuum() throws SQLException {
    return query("show autovacuum").equals("on");
  }

  /** A database of one run; closing it drops it, with whatever connections still use it. */
  public record ScratchDatabase(Postgres server, String name) implements AutoCloseable {
    /** How often {@link #vacuumUnlessAutovacuum} vacuums. */
    public static final Duration VACUUM_EVERY = Duration.ofSeconds(2);

    public String jdbcUrl() {
      return server.jdbcUrl(name);
    }

    /**
     * Stands in for autovacuum where the server runs without it: VACUUM of the database every
     * {@link #VACUUM_EVERY} until closed. Without either, rows updated on every message (the group's
     * last number, the readers' positions) pile up dead versions, and PostgreSQL's CPU grows through
     * the run. Returns what to close, which does nothing when autovacuum is on.
     */
    public AutoCloseable vacuumUnlessAutovacuum() throws SQLException {
      if (server.autovacuum()) {
        return () -> {};
      }
      ScheduledExecutorService vacuums = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon()
          .name("vacuum").factory());
      vacuums.scheduleWithFixedDelay(() -> {
        try {
          server.execute(name, "vacuum");
        } catch (SQLException e) {
          // The database is being dropped, or PostgreSQL is busy: the next round tries again.
        }
      }, VACUUM_EVERY.toMillis(), VACUUM_EVERY.toMillis(), TimeUnit.MILLISECONDS);
      return vacuums::shutdownNow;
    }

    @Override
    public void close() throws SQLException {
      server.execute(MAINTENANCE_DATABASE, "drop database if exists " + name + " with (force)");
    }
  }
}
