package org.homeserver.platform;

import io.grpc.Channel;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.Optional;
import org.homeserver.platform.auth.Revocations;
import org.homeserver.platform.config.HomeserverConfig;
import org.homeserver.platform.db.PostgresLocation;
import org.homeserver.platform.secrets.Sealer;
import org.homeserver.platform.signal.Redis;
import org.homeserver.platform.signal.Signals;

/**
 * What a service's composition root receives from the process: configuration, the settled home
 * domain, storage and the sealer its private keys are stored under, signalling, metrics, the shared
 * revocation list, and channels to the other services' internal APIs (in-process or over the
 * network, the service cannot tell).
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
    Revocations revocations,
    InternalChannels channels,
    ProcessInfo process) {

  /** Facts about the process for status pages. */
  public record ProcessInfo(String version, java.time.Instant startedAt, java.util.List<String> services) {}

  /** Finds the internal API of another service. */
  public interface InternalChannels {
    /** A channel to service {@code name}'s internal API; calls fail with UNAVAILABLE if it is down. */
    Channel channel(String name);
  }
}
