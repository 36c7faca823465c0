package org.homeserver.platform.db;

import com.zaxxer.hikari.HikariConfig;
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
  private final Jdbi jdbi;

  private ServiceDatabase(String schema, HikariDataSource dataSource) {
    this.schema = schema;
    this.dataSource = dataSource;
    this.jdbi = Jdbi.create(dataSource).installPlugin(new PostgresPlugin());
  }

  /** Migrates {@code schema} to the newest version and opens a pool of {@code poolSize} connections. */
  public static ServiceDatabase open(PostgresLocation location, String schema, int poolSize) {
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
    return new ServiceDatabase(schema, new HikariDataSource(config));
  }

  public String schema() {
    return schema;
  }

  public Jdbi jdbi() {
    return jdbi;
  }

  /** True when a trivial query succeeds now. */
  public boolean healthy() {
    try {
      return jdbi.withHandle(h -> h.createQuery("select 1").mapTo(Integer.class).one()) == 1;
    } catch (RuntimeException e) {
      return false;
    }
  }

  @Override
  public void close() {
    dataSource.close();
  }
}
