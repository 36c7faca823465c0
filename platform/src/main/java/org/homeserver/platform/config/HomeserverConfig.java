package org.homeserver.platform.config;

import static org.homeserver.platform.config.ConfigSchema.*;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.homeserver.platform.config.ConfigLoader.ConfigValues;
import org.homeserver.platform.config.ConfigSchema.LogFormat;
import org.homeserver.platform.config.ConfigSchema.LogLevel;

/**
 * The checked configuration of one homeserver process: the shared settings, and each service
 * module's own ({@link #settings}). Built only by {@link ConfigLoader}.
 */
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
    Optional<InternalTls> internalTls,
    Listener admin,
    Optional<String> adminToken,
    Listener metrics,
    Listener health,
    Database database,
    Optional<String> redisUrl,
    boolean redisCluster,
    String redisKeyPrefix,
    Secrets secrets,
    Optional<String> authAddress,
    Optional<String> directoryAddress,
    Optional<String> keyPackageAddress,
    Optional<String> deliveryAddress,
    Optional<String> notifierAddress,
    Optional<String> federationAddress,
    LogFormat logFormat,
    LogLevel logLevel,
    Map<ConfigSection<?>, Object> sections) {

  /** The settings of a service module's section; the loader must have been given the section. */
  public <S> S settings(ConfigSection<S> section) {
    Object settings = sections.get(section);
    if (settings == null) {
      throw new IllegalStateException("the configuration was loaded without the " + section.name() + " section");
    }
    @SuppressWarnings("unchecked")
    S typed = (S) settings;
    return typed;
  }

  /** A host and port to listen on; port 0 means "off" where the key allows it. */
  public record Listener(String host, int port) {
    public boolean enabled() {
      return port != 0;
    }
  }

  /** The public port's certificate chain and key (PEM files), checked for changes every {@code reloadInterval}. */
  public record Tls(Path certificateFile, Path keyFile, Duration reloadInterval) {}

  /**
   * Mutual TLS on the internal port: this process's certificate chain and key, and the operator's CA
   * that every service's certificate chains to.
   */
  public record InternalTls(Path certificateFile, Path keyFile, Path caFile) {}

  /**
   * Where the key-encryption key comes from (a file, or the value itself; neither: generated into
   * the data directory) and the earlier keys still read during a rotation (base64).
   */
  public record Secrets(Optional<Path> keyEncryptionKeyFile, Optional<String> keyEncryptionKey,
                        java.util.List<String> previousKeyEncryptionKeys) {}

  /** The PostgreSQL to use; an empty url means the embedded one. */
  public record Database(Optional<String> url, String user, String password, int poolSize, int embeddedPort) {}

  static HomeserverConfig from(ConfigValues v, Map<ConfigSection<?>, Object> sections) {
    return new HomeserverConfig(
        v.optional(DOMAIN_KEY),
        Path.of(v.get(DATA_DIR)),
        new Listener(v.get(SERVER_HOST), v.get(SERVER_PORT)),
        v.get(MAX_REQUEST),
        v.get(REFLECTION),
        v.optional(TLS_CERTIFICATE_FILE).or(() -> v.optional(TLS_KEY_FILE)).map(either -> new Tls(
            Path.of(v.get(TLS_CERTIFICATE_FILE)), Path.of(v.get(TLS_KEY_FILE)), v.get(TLS_RELOAD_INTERVAL))),
        v.get(TRUSTED_PROXIES),
        new Listener(v.get(INTERNAL_HOST), v.get(INTERNAL_PORT)),
        v.optional(INTERNAL_TOKEN),
        v.optional(INTERNAL_TLS_CERTIFICATE_FILE).or(() -> v.optional(INTERNAL_TLS_KEY_FILE))
            .or(() -> v.optional(INTERNAL_TLS_CA_FILE)).map(any -> new InternalTls(
                Path.of(v.get(INTERNAL_TLS_CERTIFICATE_FILE)), Path.of(v.get(INTERNAL_TLS_KEY_FILE)),
                Path.of(v.get(INTERNAL_TLS_CA_FILE)))),
        new Listener(v.get(ADMIN_HOST), v.get(ADMIN_PORT)),
        v.optional(ADMIN_TOKEN_KEY),
        new Listener(v.get(METRICS_HOST), v.get(METRICS_PORT)),
        new Listener(v.get(HEALTH_HOST), v.get(HEALTH_PORT)),
        new Database(v.optional(DATABASE_URL), v.get(DATABASE_USER), v.get(DATABASE_PASSWORD),
            v.get(DATABASE_POOL), v.get(EMBEDDED_PORT)),
        v.optional(REDIS_URL_KEY),
        v.get(REDIS_CLUSTER),
        v.get(REDIS_PREFIX),
        new Secrets(v.optional(KEK_FILE).map(Path::of), v.optional(KEK), v.get(PREVIOUS_KEKS)),
        v.optional(AUTH_ADDRESS),
        v.optional(DIRECTORY_ADDRESS),
        v.optional(KEYPACKAGE_ADDRESS),
        v.optional(DELIVERY_ADDRESS),
        v.optional(NOTIFIER_ADDRESS),
        v.optional(FEDERATION_ADDRESS),
        v.get(LOG_FORMAT),
        v.get(LOG_LEVEL),
        Map.copyOf(sections));
  }

  /** Problems between keys that are each valid alone, one line each. */
  java.util.List<String> inconsistencies() {
    java.util.List<String> problems = new java.util.ArrayList<>();
    if (tls.isPresent() && (tls.get().certificateFile().toString().isEmpty() || tls.get().keyFile().toString().isEmpty())) {
      problems.add("config: server.tls.certificate-file: server.tls.certificate-file and server.tls.key-file go together; "
          + "set both for TLS, or neither");
    }
    if (internalTls.isPresent() && (internalTls.get().certificateFile().toString().isEmpty()
        || internalTls.get().keyFile().toString().isEmpty() || internalTls.get().caFile().toString().isEmpty())) {
      problems.add("config: internal.tls.certificate-file: internal.tls.certificate-file, internal.tls.key-file and "
          + "internal.tls.ca-file go together; set all three for mutual TLS on the internal port, or none");
    }
    if (redisCluster && redisUrl.isEmpty()) {
      problems.add("config: redis.cluster: a Redis Cluster needs its seed nodes in redis.url "
          + "(redis://host:port,redis://host:port)");
    }
    if (!redisCluster && redisUrl.filter(url -> url.contains(",")).isPresent()) {
      problems.add("config: redis.url: several URLs are the seed nodes of a Redis Cluster: set redis.cluster=true "
          + "(HOMESERVER_REDIS_CLUSTER), or give the one URL of a single Redis");
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
    return problems;
  }
}
