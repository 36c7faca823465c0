package org.homeserver.platform.config;

import static org.homeserver.platform.config.ConfigSchema.*;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.homeserver.platform.config.ConfigLoader.ConfigValues;
import org.homeserver.platform.config.ConfigSchema.LogFormat;
import org.homeserver.platform.config.ConfigSchema.LogLevel;
import org.homeserver.platform.config.ConfigSchema.RegistrationMode;

/** The checked configuration of one homeserver process. Built only by {@link ConfigLoader}. */
public record HomeserverConfig(
    Optional<String> domain,
    Path dataDir,
    Listener server,
    long maxRequestBytes,
    boolean reflection,
    Listener internal,
    Listener admin,
    Optional<String> adminToken,
    Listener metrics,
    Database database,
    Optional<String> redisUrl,
    String redisKeyPrefix,
    Optional<String> authAddress,
    Auth auth,
    LogFormat logFormat,
    LogLevel logLevel) {

  /** A host and port to listen on; port 0 means "off" where the key allows it. */
  public record Listener(String host, int port) {
    public boolean enabled() {
      return port != 0;
    }
  }

  /** The PostgreSQL to use; an empty url means the embedded one. */
  public record Database(Optional<String> url, String user, String password, int poolSize, int embeddedPort) {}

  /** The authentication service's settings. */
  public record Auth(RegistrationMode registration, Duration accessTokenTtl, Duration credentialValidity,
                     int maxClientsPerUser, int registrationRatePerMinute, int argon2MemoryKib,
                     int argon2Iterations, int argon2Parallelism) {}

  static HomeserverConfig from(ConfigValues v) {
    return new HomeserverConfig(
        nonEmpty(v.get(DOMAIN_KEY)),
        Path.of(v.get(DATA_DIR)),
        new Listener(v.get(SERVER_HOST), v.get(SERVER_PORT)),
        v.get(MAX_REQUEST),
        v.get(REFLECTION),
        new Listener(v.get(INTERNAL_HOST), v.get(INTERNAL_PORT)),
        new Listener(v.get(ADMIN_HOST), v.get(ADMIN_PORT)),
        nonEmpty(v.get(ADMIN_TOKEN_KEY)),
        new Listener(v.get(METRICS_HOST), v.get(METRICS_PORT)),
        new Database(nonEmpty(v.get(DATABASE_URL)), v.get(DATABASE_USER), v.get(DATABASE_PASSWORD),
            v.get(DATABASE_POOL), v.get(EMBEDDED_PORT)),
        nonEmpty(v.get(REDIS_URL_KEY)),
        v.get(REDIS_PREFIX),
        nonEmpty(v.get(AUTH_ADDRESS)),
        new Auth(v.get(REGISTRATION), v.get(ACCESS_TOKEN_TTL), v.get(CREDENTIAL_VALIDITY),
            v.get(MAX_CLIENTS), v.get(REGISTRATION_RATE), v.get(ARGON2_MEMORY), v.get(ARGON2_ITERATIONS),
            v.get(ARGON2_PARALLELISM)),
        v.get(LOG_FORMAT),
        v.get(LOG_LEVEL));
  }

  private static Optional<String> nonEmpty(String s) {
    return s == null || s.isEmpty() ? Optional.empty() : Optional.of(s);
  }
}
