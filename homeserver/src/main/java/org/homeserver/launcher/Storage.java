package org.homeserver.launcher;

import java.io.IOException;
import java.time.Clock;
import java.util.Optional;
import org.homeserver.platform.config.HomeserverConfig;
import org.homeserver.platform.db.EmbeddedPostgresServer;
import org.homeserver.platform.db.HomeDomain;
import org.homeserver.platform.db.PostgresLocation;
import org.homeserver.platform.db.ServiceDatabase;

/** The process's PostgreSQL: the configured one, or an embedded one in the data directory. */
final class Storage implements AutoCloseable {
  private final Optional<EmbeddedPostgresServer> embedded;
  private final PostgresLocation location;

  private Storage(Optional<EmbeddedPostgresServer> embedded, PostgresLocation location) {
    this.embedded = embedded;
    this.location = location;
  }

  static Storage open(HomeserverConfig config) throws IOException {
    HomeserverConfig.Database db = config.database();
    if (db.url().isPresent()) {
      return new Storage(Optional.empty(), new PostgresLocation(db.url().get(), db.user(), db.password(), false));
    }
    EmbeddedPostgresServer server = EmbeddedPostgresServer.start(config.dataDir().resolve("postgres"), db.embeddedPort());
    return new Storage(Optional.of(server), server.location());
  }

  PostgresLocation location() {
    return location;
  }

  /** Fixes or checks the home domain in the {@code server} schema. */
  String settleDomain(Optional<String> configured, Clock clock) throws HomeDomain.DomainMismatchException {
    try (ServiceDatabase server = ServiceDatabase.open(location, "server", 1)) {
      return new HomeDomain(server.jdbi(), clock).settle(configured);
    }
  }

  @Override
  public void close() {
    embedded.ifPresent(e -> {
      try {
        e.close();
      } catch (IOException ex) {
        throw new java.io.UncheckedIOException(ex);
      }
    });
  }
}
