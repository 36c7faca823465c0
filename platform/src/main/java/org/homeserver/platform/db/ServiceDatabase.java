package org.homeserver.platform.db;

import com.zaxxer.hikari.HikariConfig;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import java.time.Duration;
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
  private final String schema;
  private final HikariDataSource dataSource;
  /** How long a call waits for a pooled connection before it fails (and is retried or answered UNAVAILABLE). */
  static final Duration CONNECTION_TIMEOUT = Duration.ofSeconds(5);
  private final Jdbi jdbi;
  private final Transactions transactions;

  private ServiceDatabase(String schema, HikariDataSource dataSource, MeterRegistry meters) {
    this.schema = schema;
    this.dataSource = dataSource;
    this.jdbi = Jdbi.create(dataSource).installPlugin(new PostgresPlugin());
    this.transactions = new Transactions(jdbi, schema, meters);
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
    Flyway.configure()
        .dataSource(location.jdbcUrl(), location.user(), location.password())
        .schemas(schema)
        .locations("classpath:db/" + schema)
        .load()
        .migrate();
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(location.jdbcUrl());
    config.setUsername(location.user());
    config.setPassword(location.password());
    config.setSchema(schema);
    config.setMaximumPoolSize(poolSize);
    config.setMinimumIdle(Math.min(2, poolSize));
    config.setPoolName(schema);
    config.setConnectionTimeout(CONNECTION_TIMEOUT.toMillis());
    // A connection PostgreSQL dropped is found before it is handed out, not by the call that gets it.
    config.setKeepaliveTime(Duration.ofSeconds(30).toMillis());
    return new ServiceDatabase(schema, new HikariDataSource(config), meters);
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

  /** True when a trivial query succeeds now, within a second (no retries: this is what health reports). */
  public boolean healthy() {
    try {
      return jdbi.withHandle(h -> h.createQuery("select 1").setQueryTimeout(1).mapTo(Integer.class).one()) == 1;
    } catch (RuntimeException e) {
      return false;
    }
  }

  @Override
  public void close() {
    dataSource.close();
  }
}
