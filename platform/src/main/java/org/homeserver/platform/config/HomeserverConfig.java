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
    Optional<Tls> tls,
    java.util.List<String> trustedProxies,
    Listener internal,
    Optional<String> internalToken,
    Listener admin,
    Optional<String> adminToken,
    Listener metrics,
    Database database,
    Optional<String> redisUrl,
    String redisKeyPrefix,
    Secrets secrets,
    Optional<String> authAddress,
    Optional<String> directoryAddress,
    Optional<String> keyPackageAddress,
    Optional<String> deliveryAddress,
    Optional<String> notifierAddress,
    Auth auth,
    Directory directory,
    int keyPackagesLowThreshold,
    Delivery delivery,
    Notifier notifier,
    LogFormat logFormat,
    LogLevel logLevel) {

  /** A host and port to listen on; port 0 means "off" where the key allows it. */
  public record Listener(String host, int port) {
    public boolean enabled() {
      return port != 0;
    }
  }

  /** The public port's certificate chain and key (PEM files), checked for changes every {@code reloadInterval}. */
  public record Tls(Path certificateFile, Path keyFile, Duration reloadInterval) {}

  /**
   * Where the key-encryption key comes from (a file, or the value itself; neither: generated into
   * the data directory) and the earlier keys still read during a rotation (base64).
   */
  public record Secrets(Optional<Path> keyEncryptionKeyFile, Optional<String> keyEncryptionKey,
                        java.util.List<String> previousKeyEncryptionKeys) {}

  /** The PostgreSQL to use; an empty url means the embedded one. */
  public record Database(Optional<String> url, String user, String password, int poolSize, int embeddedPort) {}

  /** The authentication service's settings. */
  public record Auth(RegistrationMode registration, Duration accessTokenTtl, Duration credentialValidity,
                     int maxClientsPerUser, int registrationRatePerMinute, int passwordAttemptsPerMinute,
                     int passwordFailuresPerHour, int challengesPerMinute, int unknownClientAttemptsPerMinute,
                     Duration deletedHandleHold, int argon2MemoryKib,
                     int argon2Iterations, int argon2Parallelism) {}

  /** The directory service's settings. */
  public record Directory(boolean prefixSearch, int lookupsPerMinute) {}

  /** The delivery service's settings. */
  public record Delivery(Duration queueRetention, int queueCap, int applicationEpochWindow) {}

  /**
   * The notifier's settings.
   *
   * @param vapidSubject empty for mailto:postmaster@ the home domain
   */
  public record Notifier(int maxEndpointsPerClient, Optional<String> vapidSubject, int pushConcurrency,
                         boolean allowLoopbackEndpoints, Optional<Apns> apns, Optional<Path> fcmServiceAccount) {}

  /** APNs credentials: the team, the authentication key and the app bundle ids devices may use. */
  public record Apns(String teamId, String keyId, Path keyFile, java.util.List<String> topics) {}

  static HomeserverConfig from(ConfigValues v) {
    return new HomeserverConfig(
        nonEmpty(v.get(DOMAIN_KEY)),
        Path.of(v.get(DATA_DIR)),
        new Listener(v.get(SERVER_HOST), v.get(SERVER_PORT)),
        v.get(MAX_REQUEST),
        v.get(REFLECTION),
        nonEmpty(v.get(TLS_CERTIFICATE_FILE) + v.get(TLS_KEY_FILE)).map(either -> new Tls(
            Path.of(v.get(TLS_CERTIFICATE_FILE)), Path.of(v.get(TLS_KEY_FILE)), v.get(TLS_RELOAD_INTERVAL))),
        v.get(TRUSTED_PROXIES),
        new Listener(v.get(INTERNAL_HOST), v.get(INTERNAL_PORT)),
        nonEmpty(v.get(INTERNAL_TOKEN)),
        new Listener(v.get(ADMIN_HOST), v.get(ADMIN_PORT)),
        nonEmpty(v.get(ADMIN_TOKEN_KEY)),
        new Listener(v.get(METRICS_HOST), v.get(METRICS_PORT)),
        new Database(nonEmpty(v.get(DATABASE_URL)), v.get(DATABASE_USER), v.get(DATABASE_PASSWORD),
            v.get(DATABASE_POOL), v.get(EMBEDDED_PORT)),
        nonEmpty(v.get(REDIS_URL_KEY)),
        v.get(REDIS_PREFIX),
        new Secrets(nonEmpty(v.get(KEK_FILE)).map(Path::of), nonEmpty(v.get(KEK)), v.get(PREVIOUS_KEKS)),
        nonEmpty(v.get(AUTH_ADDRESS)),
        nonEmpty(v.get(DIRECTORY_ADDRESS)),
        nonEmpty(v.get(KEYPACKAGE_ADDRESS)),
        nonEmpty(v.get(DELIVERY_ADDRESS)),
        nonEmpty(v.get(NOTIFIER_ADDRESS)),
        new Auth(v.get(REGISTRATION), v.get(ACCESS_TOKEN_TTL), v.get(CREDENTIAL_VALIDITY),
            v.get(MAX_CLIENTS), v.get(REGISTRATION_RATE), v.get(PASSWORD_ATTEMPTS), v.get(PASSWORD_FAILURES),
            v.get(CHALLENGES), v.get(UNKNOWN_CLIENT_ATTEMPTS),
            v.get(HANDLE_HOLD), v.get(ARGON2_MEMORY), v.get(ARGON2_ITERATIONS),
            v.get(ARGON2_PARALLELISM)),
        new Directory(v.get(PREFIX_SEARCH), v.get(LOOKUPS)),
        v.get(KEY_PACKAGES_LOW),
        new Delivery(v.get(QUEUE_RETENTION), v.get(QUEUE_CAP), v.get(APPLICATION_WINDOW)),
        new Notifier(v.get(MAX_ENDPOINTS), nonEmpty(v.get(VAPID_SUBJECT)), v.get(PUSH_CONCURRENCY),
            v.get(ALLOW_LOOPBACK_ENDPOINTS),
            nonEmpty(v.get(APNS_TEAM_ID)).map(team -> new Apns(team, v.get(APNS_KEY_ID), Path.of(v.get(APNS_KEY_FILE)),
                v.get(APNS_TOPICS).isEmpty() ? java.util.List.of() : java.util.List.of(v.get(APNS_TOPICS).split(",")))),
            nonEmpty(v.get(FCM_SERVICE_ACCOUNT)).map(Path::of)),
        v.get(LOG_FORMAT),
        v.get(LOG_LEVEL));
  }

  /** Problems between keys that are each valid alone, one line each. */
  java.util.List<String> inconsistencies() {
    java.util.List<String> problems = new java.util.ArrayList<>();
    if (auth.argon2MemoryKib() < 8L * auth.argon2Parallelism()) {
      problems.add("config: auth.argon2.memory-kib: must be at least 8 x auth.argon2.parallelism ("
          + 8L * auth.argon2Parallelism() + "), got " + auth.argon2MemoryKib());
    }
    if (auth.deletedHandleHold().compareTo(auth.credentialValidity()) < 0) {
      problems.add("config: auth.deleted-handle-hold: must be at least auth.credential-validity ("
          + auth.credentialValidity().toDays() + "d), or a new user could take over a deleted user's still valid credentials");
    }
    if (tls.isPresent() && (tls.get().certificateFile().toString().isEmpty() || tls.get().keyFile().toString().isEmpty())) {
      problems.add("config: server.tls.certificate-file: server.tls.certificate-file and server.tls.key-file go together; "
          + "set both for TLS, or neither");
    }
    if (secrets.keyEncryptionKey().isPresent() && secrets.keyEncryptionKeyFile().isPresent()) {
      problems.add("config: secrets.key-encryption-key: set this or secrets.key-encryption-key-file, not both");
    }
    if (secrets.keyEncryptionKey().isEmpty() && secrets.keyEncryptionKeyFile().isEmpty() && database.url().isPresent()) {
      // A key generated beside an external database would live on one host while the data it opens
      // is shared by every process and every backup of the database.
      problems.add("config: secrets.key-encryption-key-file: an external database (database.url) needs a "
          + "key-encryption key: set secrets.key-encryption-key-file or secrets.key-encryption-key "
          + "(HOMESERVER_SECRETS_KEY_ENCRYPTION_KEY) on every process; make one with `head -c 32 /dev/urandom | base64`");
    }
    if (notifier.apns().isPresent()) {
      Apns apns = notifier.apns().get();
      if (apns.keyId().isEmpty() || apns.keyFile().toString().isEmpty() || apns.topics().isEmpty()) {
        problems.add("config: notifier.apns.team-id: APNs needs notifier.apns.key-id, notifier.apns.key-file and "
            + "notifier.apns.topics as well");
      }
    }
    return problems;
  }

  private static Optional<String> nonEmpty(String s) {
    return s == null || s.isEmpty() ? Optional.empty() : Optional.of(s);
  }
}
