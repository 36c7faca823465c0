package org.homeserver.platform;

import io.grpc.Channel;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.Optional;
import org.homeserver.platform.auth.Revocations;
import org.homeserver.platform.config.HomeserverConfig;
import org.homeserver.platform.db.PostgresLocation;
import org.homeserver.platform.db.ServiceDatabase;
import org.homeserver.platform.health.Dependencies;
import org.homeserver.platform.secrets.Sealer;
import org.homeserver.platform.signal.Redis;
import org.homeserver.platform.signal.Signals;
import org.homeserver.platform.tasks.Tasks;

/**
 * What a service's composition root receives from the process: configuration, the settled home
 * domain, storage and the sealer its private keys are stored under, signalling, metrics, the
 * dependencies its health follows, the shared revocation list, and channels to the other services'
 * internal APIs (in-process or over the network, the service cannot tell), and where its periodic
 * tasks are started.
 */
public record ServiceContext(
    HomeserverConfig config,
    String domain,
    Clock clock,
    PostgresLocation postgres,
    Sealer sealer,
    Signals signals,
    Optional<Redis> redis,
    MeterRegistry meters,
    Dependencies dependencies,
    Revocations revocations,
    InternalChannels channels,
    ProcessInfo process,
    Tasks tasks) {

  /**
   * Migrates and opens the database schema of service {@code name}: its pool, its retries counted in
   * the metrics, and its health following whether the database answers.
   */
  public ServiceDatabase openDatabase(String name) {
    ServiceDatabase database = ServiceDatabase.open(postgres, name, config.database().poolSize(), meters);
    dependencies.register("postgresql:" + name, Optional.of(name), database::healthy);
    return database;
  }

  /** Facts about the process for status pages. */
  public record ProcessInfo(String version, java.time.Instant startedAt, java.util.List<String> services) {}

  /** Finds the internal API of another service. */
  public interface InternalChannels {
    /** A channel to service {@code name}'s internal API; calls fail with UNAVAILABLE if it is down. */
    Channel channel(String name);
  }
}
