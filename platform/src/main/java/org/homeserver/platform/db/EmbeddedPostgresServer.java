package org.homeserver.platform.db;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A real PostgreSQL run from binaries shipped through Maven, kept in a data directory so that data
 * survives a restart. Used when no database URL is configured.
 */
public final class EmbeddedPostgresServer implements AutoCloseable {
  private final EmbeddedPostgres postgres;
  private final PostgresLocation location;

  private EmbeddedPostgresServer(EmbeddedPostgres postgres, int port) {
    this.postgres = postgres;
    this.location = new PostgresLocation("jdbc:postgresql://127.0.0.1:" + port + "/postgres", "postgres", "", true);
  }

  /** Starts PostgreSQL on loopback at {@code port} with its files in {@code directory}. */
  public static EmbeddedPostgresServer start(Path directory, int port) throws IOException {
    Files.createDirectories(directory);
    EmbeddedPostgres postgres = EmbeddedPostgres.builder()
        .setDataDirectory(directory)
        .setCleanDataDirectory(false)
        .setPort(port)
        .setServerConfig("listen_addresses", "127.0.0.1")
        // Stopped by its owner, after everything that uses it: a hook of its own would stop it at
        // the JVM's exit while the process's workers still run.
        .setRegisterShutdownHook(false)
        .start();
    return new EmbeddedPostgresServer(postgres, port);
  }

  public PostgresLocation location() {
    return location;
  }

  @Override
  public void close() throws IOException {
    postgres.close();
  }
}
