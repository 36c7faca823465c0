package org.homeserver.platform.db;

import com.zaxxer.hikari.HikariConfig;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Properties;
import com.zaxxer.hikari.HikariDataSource;
import org.flywaydb.core.Flyway;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.postgres.PostgresPlugin;

/**
 * One service's view of PostgreSQL: its own schema, migrated by its own Flyway set from
 * {@code classpath:db/<schema>}, and its own connection pool whose search_path is that schema, so a
 * service cannot read another's tables by accident.
 */
public final class ServiceDatabase implements AutoCloseable {
  /** How long the health check waits for PostgreSQL to answer, connecting included. */
  private static final int HEALTH_TIMEOUT_SECONDS = 1;
  private final String schema;
  private final PostgresLocation location;
  private final HikariDataSource dataSource;
  private final Jdbi jdbi;
  private final Transactions transactions;
  /** The health check's own connection, apart from the pool, so a busy pool does not look like a dead database. */
  private Connection healthConnection;
  private volatile boolean answering = true;

  private ServiceDatabase(String schema, PostgresLocation location, HikariDataSource dataSource, MeterRegistry meters) {
    this.schema = schema;
    this.location = location;
    this.dataSource = dataSource;
    this.jdbi = Jdbi.create(dataSource).installPlugin(new PostgresPlugin());
    this.transactions = new Transactions(jdbi, schema, meters, () -> answering);
  }

  /** As {@link #open(PostgresLocation, String, int, MeterRegistry)}, its metrics in no registry of the process's. */
  public static ServiceDatabase open(PostgresLocation location, String schema, int poolSize) {
    return open(location, schema, poolSize, Metrics.globalRegistry);
  }

  /**
   * Migrates {@code schema} to the newest version and opens a pool of {@code poolSize} connections;
   * its retries are counted in {@code meters}.
   */
  public static ServiceDatabase open(PostgresLocation location, String schema, int poolSize, MeterRegistry meters) {
    migrate(location, schema);
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(location.jdbcUrl());
    config.setUsername(location.user());
    config.setPassword(location.password());
    config.setSchema(schema);
    config.setMaximumPoolSize(poolSize);
    config.setMinimumIdle(Math.min(2, poolSize));
    config.setPoolName(schema);
    // A connection PostgreSQL dropped is found before it is handed out, not by the call that gets it.
    config.setKeepaliveTime(Duration.ofSeconds(30).toMillis());
    return new ServiceDatabase(schema, location, new HikariDataSource(config), meters);
  }

  /** Brings {@code schema} to the newest version of its Flyway set, {@code classpath:db/<schema>}. */
  public static void migrate(PostgresLocation location, String schema) {
    Flyway.configure()
        .dataSource(location.jdbcUrl(), location.user(), location.password())
        .schemas(schema)
        .locations("classpath:db/" + schema)
        .load()
        .migrate();
  }

  public String schema() {
    return schema;
  }

  public Jdbi jdbi() {
    return jdbi;
  }

  /** The service's transactions and statements, retried when PostgreSQL refused or lost them. */
  public Transactions transactions() {
    return transactions;
  }

  /**
   * True when PostgreSQL answers a round trip now, within a second, on a connection of its own (no
   * retries: this is what health reports). While it says false, calls fail at once as UNAVAILABLE
   * instead of waiting for the pool ({@link Transactions}).
   */
  public synchronized boolean healthy() {
    try {
      if (healthConnection == null || !healthConnection.isValid(HEALTH_TIMEOUT_SECONDS)) {
        closeHealthConnection();
        Properties properties = new Properties();
        properties.setProperty("user", location.user());
        properties.setProperty("password", location.password());
        properties.setProperty("connectTimeout", Integer.toString(HEALTH_TIMEOUT_SECONDS));
        properties.setProperty("socketTimeout", Integer.toString(HEALTH_TIMEOUT_SECONDS + 1));
        healthConnection = DriverManager.getConnection(location.jdbcUrl(), properties);
      }
      answering = true;
    } catch (SQLException e) {
      closeHealthConnection();
      answering = false;
    }
    return answering;
  }

  private void closeHealthConnection() {
    if (healthConnection != null) {
      try {
        healthConnection.close();
      } catch (SQLException ignored) {
        // It was broken; that is why it goes.
      }
      healthConnection = null;
    }
  }

  @Override
  public synchronized void close() {
    closeHealthConnection();
    dataSource.close();
  }
}
