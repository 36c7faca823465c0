package org.homeserver.auth;

import static org.homeserver.platform.config.ValueParsers.duration;
import static org.homeserver.platform.config.ValueParsers.integer;
import static org.homeserver.platform.config.ValueParsers.oneOf;
import static org.homeserver.platform.config.ValueParsers.words;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.homeserver.platform.config.ConfigLoader.ConfigValues;
import org.homeserver.platform.config.ConfigSection;
import org.homeserver.platform.config.Setting;

/** The auth service's configuration: its keys (auth.*) and the settings they make. */
public record AuthSettings(RegistrationMode registration, Duration accessTokenTtl, Duration credentialValidity,
                           int maxClientsPerUser, int registrationRatePerMinute, int passwordAttemptsPerMinute,
                           int passwordFailuresPerHour, int challengesPerMinute, int unknownClientAttemptsPerMinute,
                           Duration deletedHandleHold, int argon2MemoryKib, int argon2Iterations,
                           int argon2Parallelism) {
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

  /** The section the composition root registers with the configuration loader. */
  public static final ConfigSection<AuthSettings> SECTION = new ConfigSection<>(AuthModule.NAME, List.of(
      REGISTRATION, ACCESS_TOKEN_TTL, CREDENTIAL_VALIDITY, MAX_CLIENTS, REGISTRATION_RATE, PASSWORD_ATTEMPTS,
      PASSWORD_FAILURES, CHALLENGES, UNKNOWN_CLIENT_ATTEMPTS, HANDLE_HOLD,
      ARGON2_MEMORY, ARGON2_ITERATIONS, ARGON2_PARALLELISM), AuthSettings::from, AuthSettings::inconsistencies);

  static AuthSettings from(ConfigValues v) {
    return new AuthSettings(v.get(REGISTRATION), v.get(ACCESS_TOKEN_TTL), v.get(CREDENTIAL_VALIDITY),
        v.get(MAX_CLIENTS), v.get(REGISTRATION_RATE), v.get(PASSWORD_ATTEMPTS), v.get(PASSWORD_FAILURES),
        v.get(CHALLENGES), v.get(UNKNOWN_CLIENT_ATTEMPTS), v.get(HANDLE_HOLD), v.get(ARGON2_MEMORY),
        v.get(ARGON2_ITERATIONS), v.get(ARGON2_PARALLELISM));
  }

  /** Problems between keys that are each valid alone, one line each. */
  List<String> inconsistencies() {
    List<String> problems = new ArrayList<>();
    if (argon2MemoryKib < 8L * argon2Parallelism) {
      problems.add("config: auth.argon2.memory-kib: must be at least 8 x auth.argon2.parallelism ("
          + 8L * argon2Parallelism + "), got " + argon2MemoryKib);
    }
    if (deletedHandleHold.compareTo(credentialValidity) < 0) {
      problems.add("config: auth.deleted-handle-hold: must be at least auth.credential-validity ("
          + credentialValidity.toDays() + "d), or a new user could take over a deleted user's still valid credentials");
    }
    return problems;
  }
}
