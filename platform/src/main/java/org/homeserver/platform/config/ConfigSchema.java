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

/** Every configuration key the homeserver knows, with its default and its allowed values. */
public final class ConfigSchema {
  private static final Pattern HOST = Pattern.compile("[A-Za-z0-9.:\\-\\[\\]]+");
  private static final Pattern JDBC_URL = Pattern.compile("jdbc:postgresql://.+");
  private static final Pattern REDIS_URL = Pattern.compile("rediss?://.+");
  private static final Pattern TARGET = Pattern.compile("[A-Za-z0-9.:/\\-\\[\\]]+");
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
      t -> t.isEmpty() ? t : matching(REDIS_URL).apply(t),
      "empty (in-process signalling) or a URL redis://host:port",
      "Redis for signalling, revocations and rate limits; required when services run as separate processes.");

  public static final Setting<String> REDIS_PREFIX = new Setting<>("redis.key-prefix", "hs:",
      matching(Pattern.compile("[A-Za-z0-9:_.-]{1,64}")), "1 to 64 characters of A-Z a-z 0-9 : _ . -",
      "Prefix of every Redis key and channel, so several homeservers can share one Redis.");

  public static final Setting<String> KEK_FILE = new Setting<>("secrets.key-encryption-key-file", "",
      ValueParsers.anyText(), "empty or a file path",
      "A file holding the key-encryption key (32 bytes, base64) under which private keys are stored in the database. Empty with the embedded PostgreSQL: generated into <data-dir>/key-encryption-key.");
  public static final Setting<String> KEK = new Setting<>("secrets.key-encryption-key", "",
      t -> t.isEmpty() ? t : matching(BASE64_KEY).apply(t), "empty or 32 bytes in base64",
      "The key-encryption key itself, for an environment variable; one of this and secrets.key-encryption-key-file is required with an external database.");
  public static final Setting<List<String>> PREVIOUS_KEKS = new Setting<>("secrets.previous-key-encryption-keys", "",
      ValueParsers.list(BASE64_KEY), "empty or base64 keys separated by commas",
      "Earlier key-encryption keys, during a rotation: keys stored under one of them are read and stored again under the current one at start.");

  public static final Setting<String> AUTH_ADDRESS = new Setting<>("services.auth.address", "",
      t -> t.isEmpty() ? t : matching(TARGET).apply(t), "empty or a gRPC target such as auth:7402",
      "Where to reach the auth service's internal API when it is not in this process.");
  public static final Setting<String> DIRECTORY_ADDRESS = new Setting<>("services.directory.address", "",
      t -> t.isEmpty() ? t : matching(TARGET).apply(t), "empty or a gRPC target such as directory:7402",
      "Where to reach the directory service's internal API when it is not in this process.");
  public static final Setting<String> KEYPACKAGE_ADDRESS = new Setting<>("services.keypackage.address", "",
      t -> t.isEmpty() ? t : matching(TARGET).apply(t), "empty or a gRPC target such as keypackage:7402",
      "Where to reach the keypackage service's internal API when it is not in this process.");
  public static final Setting<String> DELIVERY_ADDRESS = new Setting<>("services.delivery.address", "",
      t -> t.isEmpty() ? t : matching(TARGET).apply(t), "empty or a gRPC target such as delivery:7402",
      "Where to reach the delivery service's internal API when it is not in this process.");
  public static final Setting<String> NOTIFIER_ADDRESS = new Setting<>("services.notifier.address", "",
      t -> t.isEmpty() ? t : matching(TARGET).apply(t), "empty or a gRPC target such as notifier:7402",
      "Where to reach the notifier's internal API when it is not in this process.");

  public static final Setting<RegistrationMode> REGISTRATION = new Setting<>("auth.registration", "open",
      oneOf(RegistrationMode.class), words(RegistrationMode.class),
      "Who may register users: anyone, holders of an invite token, or nobody.");
  public static final Setting<Duration> ACCESS_TOKEN_TTL = new Setting<>("auth.access-token-ttl", "15m",
      duration(Duration.ofMinutes(1), Duration.ofHours(24)),
      "a duration from 1m to 24h (e.g. 900s, 15m, 1h)", "Lifetime of an access token.");
  public static final Setting<Duration> CREDENTIAL_VALIDITY = new Setting<>("auth.credential-validity", "365d",
      duration(Duration.ofDays(1), Duration.ofDays(3650)), "a duration from 1d to 3650d",
      "Lifetime of a client's X.509 credential.");
  public static final Setting<Integer> MAX_CLIENTS = new Setting<>("auth.max-clients-per-user", "32",
      integer(1, 1000), "an integer from 1 to 1000", "How many clients one user may register.");
  public static final Setting<Integer> REGISTRATION_RATE = new Setting<>("auth.registration-rate-per-minute", "10",
      integer(1, 100000), "an integer from 1 to 100000",
      "Registration attempts (users and clients) allowed per peer address per minute.");
  public static final Setting<Integer> PASSWORD_ATTEMPTS = new Setting<>("auth.password-attempts-per-minute", "20",
      integer(1, 100000), "an integer from 1 to 100000",
      "Password checks (client registration, password change, account deletion) allowed per user and caller per minute; the caller is its address, or its client when it is signed in as one of the user's clients.");
  public static final Setting<Integer> PASSWORD_FAILURES = new Setting<>("auth.password-failures-per-hour", "100",
      integer(1, 1000000), "an integer from 1 to 1000000",
      "Wrong passwords one user may receive per hour from callers not signed in as one of its clients, from all addresses together; beyond, only its own signed-in clients may check its password, and a correct one from them clears the count.");
  public static final Setting<Integer> UNKNOWN_CLIENT_ATTEMPTS = new Setting<>("auth.unknown-client-attempts-per-minute",
      "30", integer(1, 100000), "an integer from 1 to 100000",
      "Challenges and sessions asked for client ids that do not exist, allowed per address per minute.");
  public static final Setting<Integer> CHALLENGES = new Setting<>("auth.challenges-per-minute", "60",
      integer(1, 100000), "an integer from 1 to 100000", "Session challenges allowed per client per minute.");
  public static final Setting<Duration> HANDLE_HOLD = new Setting<>("auth.deleted-handle-hold", "365d",
      duration(Duration.ZERO, Duration.ofDays(36500)), "a duration from 0s to 36500d (at least auth.credential-validity)",
      "How long the handle of a deleted user cannot be registered again, so its old credentials name nobody new.");
  public static final Setting<Integer> ARGON2_MEMORY = new Setting<>("auth.argon2.memory-kib", "19456",
      integer(1024, 1024 * 1024), "an integer from 1024 to 1048576 (and at least 8 x parallelism)",
      "Argon2id memory cost in KiB.");
  public static final Setting<Integer> ARGON2_ITERATIONS = new Setting<>("auth.argon2.iterations", "2",
      integer(1, 64), "an integer from 1 to 64", "Argon2id iterations.");
  public static final Setting<Integer> ARGON2_PARALLELISM = new Setting<>("auth.argon2.parallelism", "1",
      integer(1, 64), "an integer from 1 to 64", "Argon2id lanes.");

  public static final Setting<Duration> QUEUE_RETENTION = new Setting<>("delivery.queue-retention", "30d",
      duration(Duration.ofHours(1), Duration.ofDays(3650)), "a duration from 1h to 3650d",
      "How long an unacknowledged queue entry is kept; older ones are dropped and the client gets a QueueGap event.");
  public static final Setting<Integer> QUEUE_CAP = new Setting<>("delivery.queue-cap", "10000",
      integer(10, 10_000_000), "an integer from 10 to 10000000",
      "Entries one client's queue holds; beyond it the oldest are dropped and the client gets a QueueGap event.");
  public static final Setting<Integer> APPLICATION_WINDOW = new Setting<>("delivery.application-epoch-window", "3",
      integer(0, 1000), "an integer from 0 to 1000",
      "How many epochs behind the current one a group still accepts application messages for.");

  public static final Setting<Boolean> PREFIX_SEARCH = new Setting<>("directory.prefix-search", "false", bool(),
      "true or false",
      "Let users find this domain's users by the beginning of a handle (SearchUsers). Off: only exact handles are found.");
  public static final Setting<Integer> LOOKUPS = new Setting<>("directory.lookups-per-minute", "30",
      integer(1, 100000), "an integer from 1 to 100000",
      "Profile reads, discoveries and searches allowed per user per minute, together.");
  public static final Setting<Integer> KEY_PACKAGES_LOW = new Setting<>("keypackage.low-threshold", "10",
      integer(0, 1000), "an integer from 0 (never) to 1000",
      "A client whose KeyPackages of a suite (not counting a last-resort one) fall below this gets a KeyPackagesLow event.");

  public static final Setting<Integer> MAX_ENDPOINTS = new Setting<>("notifier.max-endpoints-per-client", "10",
      integer(1, 100), "an integer from 1 to 100", "How many push endpoints one client may register.");
  public static final Setting<String> VAPID_SUBJECT = new Setting<>("notifier.vapid-subject", "",
      t -> t.isEmpty() ? t : matching(Pattern.compile("(mailto:|https://)\\S{3,200}")).apply(t),
      "empty (mailto:postmaster@<domain>) or a mailto: or https: URI",
      "The contact Web Push services see in this homeserver's VAPID tokens (RFC 8292 sub claim).");
  public static final Setting<Integer> PUSH_CONCURRENCY = new Setting<>("notifier.push-concurrency", "64",
      integer(1, 1024), "an integer from 1 to 1024", "Pushes in flight at once, per notifier process.");
  public static final Setting<Boolean> ALLOW_LOOPBACK_ENDPOINTS = new Setting<>("notifier.allow-loopback-endpoints",
      "false", bool(), "true or false",
      "For tests only: accept http:// endpoints on loopback addresses (other private addresses stay refused).");
  public static final Setting<String> APNS_TEAM_ID = new Setting<>("notifier.apns.team-id", "",
      t -> t.isEmpty() ? t : matching(Pattern.compile("[A-Z0-9]{10}")).apply(t),
      "empty (APNs off) or the 10-character Apple team id", "The Apple developer team of the APNs key.");
  public static final Setting<String> APNS_KEY_ID = new Setting<>("notifier.apns.key-id", "",
      t -> t.isEmpty() ? t : matching(Pattern.compile("[A-Z0-9]{10}")).apply(t),
      "empty or the 10-character key id", "The id of the APNs authentication key (.p8).");
  public static final Setting<String> APNS_KEY_FILE = new Setting<>("notifier.apns.key-file", "",
      ValueParsers.anyText(), "empty or a file path", "The APNs authentication key, the .p8 PEM file from Apple.");
  public static final Setting<String> APNS_TOPICS = new Setting<>("notifier.apns.topics", "",
      t -> t.isEmpty() ? t : matching(Pattern.compile("[A-Za-z0-9.\\-]+(,[A-Za-z0-9.\\-]+)*")).apply(t),
      "empty or bundle ids separated by commas", "The app bundle ids (apns-topic) devices may register for.");
  public static final Setting<String> FCM_SERVICE_ACCOUNT = new Setting<>("notifier.fcm.service-account-file", "",
      ValueParsers.anyText(), "empty (FCM off) or a file path",
      "The Google service account key (JSON) with which pushes are sent through FCM's HTTP v1 API.");

  public static final Setting<LogFormat> LOG_FORMAT = new Setting<>("logging.format", "text",
      oneOf(LogFormat.class), words(LogFormat.class), "Log lines as text or as one JSON object per line.");
  public static final Setting<LogLevel> LOG_LEVEL = new Setting<>("logging.level", "info",
      oneOf(LogLevel.class), words(LogLevel.class), "The least severe level logged.");
  public static final Setting<Boolean> REFLECTION = new Setting<>("server.reflection", "true", bool(),
      "true or false", "Serve gRPC server reflection on the public port.");

  /** All keys, in the order of the configuration reference. */
  public static final List<Setting<?>> ALL = List.of(
      DOMAIN_KEY, DATA_DIR,
      SERVER_HOST, SERVER_PORT, MAX_REQUEST, REFLECTION, TLS_CERTIFICATE_FILE, TLS_KEY_FILE, TLS_RELOAD_INTERVAL,
      TRUSTED_PROXIES,
      INTERNAL_HOST, INTERNAL_PORT, INTERNAL_TOKEN,
      ADMIN_HOST, ADMIN_PORT, ADMIN_TOKEN_KEY,
      METRICS_HOST, METRICS_PORT,
      DATABASE_URL, DATABASE_USER, DATABASE_PASSWORD, DATABASE_POOL, EMBEDDED_PORT,
      REDIS_URL_KEY, REDIS_PREFIX,
      KEK_FILE, KEK, PREVIOUS_KEKS,
      AUTH_ADDRESS, DIRECTORY_ADDRESS, KEYPACKAGE_ADDRESS, DELIVERY_ADDRESS, NOTIFIER_ADDRESS,
      REGISTRATION, ACCESS_TOKEN_TTL, CREDENTIAL_VALIDITY, MAX_CLIENTS, REGISTRATION_RATE, PASSWORD_ATTEMPTS,
      PASSWORD_FAILURES, CHALLENGES, UNKNOWN_CLIENT_ATTEMPTS, HANDLE_HOLD,
      ARGON2_MEMORY, ARGON2_ITERATIONS, ARGON2_PARALLELISM,
      PREFIX_SEARCH, LOOKUPS,
      KEY_PACKAGES_LOW,
      QUEUE_RETENTION, QUEUE_CAP, APPLICATION_WINDOW,
      MAX_ENDPOINTS, VAPID_SUBJECT, PUSH_CONCURRENCY, ALLOW_LOOPBACK_ENDPOINTS,
      APNS_TEAM_ID, APNS_KEY_ID, APNS_KEY_FILE, APNS_TOPICS, FCM_SERVICE_ACCOUNT,
      LOG_FORMAT, LOG_LEVEL);

  private ConfigSchema() {}

  public enum RegistrationMode { OPEN, INVITE, CLOSED }

  public enum LogFormat { TEXT, JSON }

  public enum LogLevel { ERROR, WARN, INFO, DEBUG, TRACE }
}
