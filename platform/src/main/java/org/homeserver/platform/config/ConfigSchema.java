package org.homeserver.platform.config;

import static org.homeserver.platform.config.ValueParsers.bool;
import static org.homeserver.platform.config.ValueParsers.duration;
import static org.homeserver.platform.config.ValueParsers.integer;
import static org.homeserver.platform.config.ValueParsers.matching;
import static org.homeserver.platform.config.ValueParsers.oneOf;
import static org.homeserver.platform.config.ValueParsers.size;
import static org.homeserver.platform.config.ValueParsers.words;

import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.homeserver.platform.ids.UserId;

/**
 * The configuration keys every process shares (its ports, storage, signalling, secrets, where the
 * other services are, logs), with their defaults and allowed values. Each service module declares
 * its own keys in a {@link ConfigSection}.
 */
public final class ConfigSchema {
  private static final Pattern HOST = Pattern.compile("[A-Za-z0-9.:\\-\\[\\]]+");
  private static final Pattern JDBC_URL = Pattern.compile("jdbc:postgresql://.+");
  /** redis[s]://[user:password@]host[:port][/database][?options], the host a name, IPv4 or [IPv6] address. */
  private static final Pattern REDIS_URL = Pattern.compile(
      "rediss?://([^@,\\s/]+@)?([A-Za-z0-9.\\-]+|\\[[0-9A-Fa-f:]+])(:\\d{1,5})?(/\\d+)?(\\?[^,\\s]*)?");
  private static final Pattern TARGET = Pattern.compile("[A-Za-z0-9.:/\\-\\[\\],]+");
  private static final Pattern SECRET_TOKEN = Pattern.compile("[A-Za-z0-9_\\-]{32,256}");
  private static final Pattern BASE64_KEY = Pattern.compile("[A-Za-z0-9+/]{43}=");

  static final String PORT = "an integer from 1 to 65535";
  static final String PORT_OR_OFF = "an integer from 0 (off) to 65535";

  public static final Setting<String> DOMAIN_KEY = new Setting<>("domain", "",
      t -> t.isEmpty() ? t : matching(UserId.DOMAIN).apply(t),
      "a lower-case DNS name such as example.org",
      "The home domain. Fixed at the first start (or by `homeserver init`); another value later is refused.");
  public static final Setting<String> DATA_DIR = new Setting<>("data-dir", "data", ValueParsers.anyText(),
      "a directory path",
      "Where the embedded PostgreSQL, the generated admin token and the generated key-encryption key live.");

  public static final Setting<String> SERVER_HOST = new Setting<>("server.host", "0.0.0.0",
      matching(HOST), "a host name or IP address", "Address of the public gRPC port (client API).");
  public static final Setting<Integer> SERVER_PORT = new Setting<>("server.port", "7400",
      integer(1, 65535), PORT, "The public gRPC port.");
  public static final Setting<Long> MAX_REQUEST = new Setting<>("server.max-request-bytes", "4MiB",
      size(64 * 1024, 4L * 1024 * 1024), "a size from 64KiB to 4MiB (e.g. 1048576, 512KiB, 4MiB)",
      "The largest request message accepted; larger ones get RESOURCE_EXHAUSTED / REQUEST_TOO_LARGE.");

  public static final Setting<String> TLS_CERTIFICATE_FILE = new Setting<>("server.tls.certificate-file", "",
      ValueParsers.anyText(), "empty (plaintext) or a PEM file path",
      "The public port's certificate chain (PEM, leaf first). With server.tls.key-file the port speaks TLS 1.3 only; both files are reloaded when they change.");
  public static final Setting<String> TLS_KEY_FILE = new Setting<>("server.tls.key-file", "",
      ValueParsers.anyText(), "empty or a PEM file path",
      "The private key of that certificate (PEM: PKCS#8, or a traditional EC or RSA key).");
  public static final Setting<Duration> TLS_RELOAD_INTERVAL = new Setting<>("server.tls.reload-interval", "10s",
      duration(Duration.ofSeconds(1), Duration.ofHours(1)), "a duration from 1s to 1h",
      "How often the certificate and key files are checked for a change; a changed pair is served to new connections without a restart.");
  public static final Setting<List<String>> TRUSTED_PROXIES = new Setting<>("server.trusted-proxies", "",
      ValueParsers.addressBlocks(), "empty or IP addresses and CIDR blocks separated by commas (e.g. 10.0.0.0/8,::1)",
      "Proxies in front of the public port: from them the client address is taken from X-Forwarded-For (for rate limits and logs); from anyone else that header is ignored.");

  public static final Setting<String> INTERNAL_TOKEN = new Setting<>("internal.token", "",
      t -> t.isEmpty() ? t : matching(SECRET_TOKEN).apply(t), "32 to 256 characters of A-Z a-z 0-9 _ -",
      "Bearer token the services present to each other's internal API; required with serve --service.");
  public static final Setting<String> INTERNAL_HOST = new Setting<>("internal.host", "127.0.0.1",
      matching(HOST), "a host name or IP address",
      "Address of the internal gRPC port, used only when one service runs alone (`serve --service`).");
  public static final Setting<Integer> INTERNAL_PORT = new Setting<>("internal.port", "7402",
      integer(1, 65535), PORT, "The internal gRPC port (services among themselves).");
  public static final Setting<String> INTERNAL_TLS_CERTIFICATE_FILE = new Setting<>("internal.tls.certificate-file",
      "", ValueParsers.anyText(), "empty (plaintext) or a PEM file path",
      "This process's certificate chain on the internal port (PEM, leaf first), issued by the operator's CA "
          + "(internal.tls.ca-file). Set with internal.tls.key-file and internal.tls.ca-file: the internal port then "
          + "speaks mutual TLS 1.3, serving this certificate and presenting it to the other services; both files "
          + "are reloaded when they change.");
  public static final Setting<String> INTERNAL_TLS_KEY_FILE = new Setting<>("internal.tls.key-file", "",
      ValueParsers.anyText(), "empty or a PEM file path", "The private key of internal.tls.certificate-file.");
  public static final Setting<String> INTERNAL_TLS_CA_FILE = new Setting<>("internal.tls.ca-file", "",
      ValueParsers.anyText(), "empty or a PEM file path",
      "The operator's CA certificates (PEM): a service's internal port accepts only callers whose certificate chains "
          + "to one of them, and a caller accepts only an internal port whose certificate does and names the host it "
          + "called.");

  public static final Setting<String> ADMIN_HOST = new Setting<>("admin.host", "127.0.0.1",
      matching(HOST), "a host name or IP address", "Address of the admin gRPC port; loopback by default.");
  public static final Setting<Integer> ADMIN_PORT = new Setting<>("admin.port", "7401",
      integer(0, 65535), PORT_OR_OFF, "The admin gRPC port; 0 turns the admin API off.");
  public static final Setting<String> ADMIN_TOKEN_KEY = new Setting<>("admin.token", "",
      t -> t.isEmpty() ? t : matching(SECRET_TOKEN).apply(t),
      "32 to 256 characters of A-Z a-z 0-9 _ -",
      "The admin API's bearer token. Empty: one is generated at first start into <data-dir>/admin-token.");

  public static final Setting<String> METRICS_HOST = new Setting<>("metrics.host", "127.0.0.1",
      matching(HOST), "a host name or IP address", "Address of the Prometheus metrics HTTP port.");
  public static final Setting<Integer> METRICS_PORT = new Setting<>("metrics.port", "7403",
      integer(0, 65535), PORT_OR_OFF, "Serves /metrics in the Prometheus text format; 0 turns it off.");
  public static final Setting<String> HEALTH_HOST = new Setting<>("health.host", "127.0.0.1",
      matching(HOST), "a host name or IP address", "Address of the health port.");
  public static final Setting<Integer> HEALTH_PORT = new Setting<>("health.port", "0",
      integer(0, 65535), PORT_OR_OFF,
      "A plaintext gRPC port serving only grpc.health.v1.Health (as the public port does), for probes that cannot "
          + "speak TLS, such as Kubernetes' gRPC probes (deploy/ uses 7404); 0 turns it off.");

  public static final Setting<String> DATABASE_URL = new Setting<>("database.url", "",
      t -> t.isEmpty() ? t : matching(JDBC_URL).apply(t),
      "empty (embedded PostgreSQL) or a URL jdbc:postgresql://host:port/database",
      "The PostgreSQL to use. Empty: an embedded PostgreSQL in <data-dir>/postgres.");
  public static final Setting<String> DATABASE_USER = new Setting<>("database.user", "postgres",
      ValueParsers.anyText(), "a user name", "The PostgreSQL user (external database only).");
  public static final Setting<String> DATABASE_PASSWORD = new Setting<>("database.password", "",
      ValueParsers.anyText(), "any text", "The PostgreSQL password (external database only).");
  public static final Setting<Integer> DATABASE_POOL = new Setting<>("database.pool-size", "10",
      integer(1, 200), "an integer from 1 to 200", "Connections in the pool of each service.");
  public static final Setting<Integer> EMBEDDED_PORT = new Setting<>("database.embedded-port", "7432",
      integer(1024, 65535), "an integer from 1024 to 65535",
      "Loopback port of the embedded PostgreSQL.");

  public static final Setting<String> REDIS_URL_KEY = new Setting<>("redis.url", "",
      ConfigSchema::redisUrls,
      "empty (in-process signalling), a URL redis://host:port, or with redis.cluster URLs separated by commas",
      "Redis for signalling, revocations and rate limits; required when services run as separate processes. "
          + "With redis.cluster=true: seed nodes of a Redis Cluster (redis://host:port,redis://host:port; one that answers is enough).");
  public static final Setting<Boolean> REDIS_CLUSTER = new Setting<>("redis.cluster", "false", bool(),
      "true or false",
      "Whether redis.url names a Redis Cluster, whose masters share the keys and (by sharded pub/sub, SPUBLISH/SSUBSCRIBE) the signal channels.");

  public static final Setting<String> REDIS_PREFIX = new Setting<>("redis.key-prefix", "hs:",
      matching(Pattern.compile("[A-Za-z0-9:_.-]{1,64}")), "1 to 64 characters of A-Z a-z 0-9 : _ . -",
      "Prefix of every Redis key and channel, so several homeservers can share one Redis or Redis Cluster (no braces: hash tags follow it).");

  public static final Setting<String> KEK_FILE = new Setting<>("secrets.key-encryption-key-file", "",
      ValueParsers.anyText(), "empty or a file path",
      "A file holding the key-encryption key (32 bytes, base64) under which private keys are stored in the database. Empty with the embedded PostgreSQL: generated into <data-dir>/key-encryption-key.");
  public static final Setting<String> KEK = new Setting<>("secrets.key-encryption-key", "",
      t -> t.isEmpty() ? t : matching(BASE64_KEY).apply(t), "empty or 32 bytes in base64",
      "The key-encryption key itself, for an environment variable; one of this and secrets.key-encryption-key-file is required with an external database.");
  public static final Setting<List<String>> PREVIOUS_KEKS = new Setting<>("secrets.previous-key-encryption-keys", "",
      ValueParsers.list(BASE64_KEY), "empty or base64 keys separated by commas",
      "Earlier key-encryption keys, during a rotation: keys stored under one of them are read and stored again under the current one at start.");

  public static final Setting<String> AUTH_ADDRESS = address("auth", "the auth service");
  public static final Setting<String> DIRECTORY_ADDRESS = address("directory", "the directory service");
  public static final Setting<String> KEYPACKAGE_ADDRESS = address("keypackage", "the keypackage service");
  public static final Setting<String> DELIVERY_ADDRESS = address("delivery", "the delivery service");
  public static final Setting<String> NOTIFIER_ADDRESS = address("notifier", "the notifier");
  public static final Setting<String> FEDERATION_ADDRESS = address("federation", "the federation gateway");

  private static Setting<String> address(String service, String which) {
    return new Setting<>("services." + service + ".address", "", t -> t.isEmpty() ? t : matching(TARGET).apply(t),
        "empty or a gRPC target such as " + service + ":7402",
        "Where to reach " + which + "'s internal API when it is not in this process: host:port; several, "
            + "host:port,host:port; or dns:///name:port, every address the name resolves to (a Kubernetes "
            + "headless Service). Calls go round-robin over the instances.");
  }

  public static final Setting<LogFormat> LOG_FORMAT = new Setting<>("logging.format", "text",
      oneOf(LogFormat.class), words(LogFormat.class), "Log lines as text or as one JSON object per line.");
  public static final Setting<LogLevel> LOG_LEVEL = new Setting<>("logging.level", "info",
      oneOf(LogLevel.class), words(LogLevel.class), "The least severe level logged.");
  public static final Setting<Boolean> REFLECTION = new Setting<>("server.reflection", "true", bool(),
      "true or false", "Serve gRPC server reflection on the public port.");

  /** The shared keys, in the order of the configuration reference; each service's own follow them. */
  public static final List<Setting<?>> ALL = List.of(
      DOMAIN_KEY, DATA_DIR,
      SERVER_HOST, SERVER_PORT, MAX_REQUEST, REFLECTION, TLS_CERTIFICATE_FILE, TLS_KEY_FILE, TLS_RELOAD_INTERVAL,
      TRUSTED_PROXIES,
      INTERNAL_HOST, INTERNAL_PORT, INTERNAL_TOKEN, INTERNAL_TLS_CERTIFICATE_FILE, INTERNAL_TLS_KEY_FILE,
      INTERNAL_TLS_CA_FILE,
      ADMIN_HOST, ADMIN_PORT, ADMIN_TOKEN_KEY,
      METRICS_HOST, METRICS_PORT,
      HEALTH_HOST, HEALTH_PORT,
      DATABASE_URL, DATABASE_USER, DATABASE_PASSWORD, DATABASE_POOL, EMBEDDED_PORT,
      REDIS_URL_KEY, REDIS_CLUSTER, REDIS_PREFIX,
      KEK_FILE, KEK, PREVIOUS_KEKS,
      AUTH_ADDRESS, DIRECTORY_ADDRESS, KEYPACKAGE_ADDRESS, DELIVERY_ADDRESS, NOTIFIER_ADDRESS, FEDERATION_ADDRESS,
      LOG_FORMAT, LOG_LEVEL);

  private ConfigSchema() {}

  /** Empty, or Redis URLs separated by commas, each one Lettuce can connect to; returned without spaces. */
  private static String redisUrls(String text) {
    if (text.isBlank()) {
      return "";
    }
    List<String> urls = java.util.Arrays.stream(text.split(",", -1)).map(String::trim).toList();
    for (String url : urls) {
      if (!REDIS_URL.matcher(url).matches()) {
        throw new IllegalArgumentException("not a Redis URL");
      }
      try {
        io.lettuce.core.RedisURI.create(url);
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("not a Redis URL", e);
      }
    }
    return String.join(",", urls);
  }

  public enum LogFormat { TEXT, JSON }

  public enum LogLevel { ERROR, WARN, INFO, DEBUG, TRACE }
}
