package org.homeserver.auth;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

/**
 * Hashes user passwords with Argon2id into PHC strings, and checks passwords against such strings.
 * A stored string carries its own parameters, so hashes made before a parameter change still verify.
 */
public final class PasswordHasher {
  private static final int SALT_BYTES = 16;
  private static final int HASH_BYTES = 32;
  private static final int ARGON2_VERSION = 19;
  // Bounds on parameters read back from storage: a corrupt row must not exhaust the heap or the CPU.
  private static final int MAX_MEMORY_KIB = 1 << 20;
  private static final int MAX_ITERATIONS = 64;
  private static final int MAX_PARALLELISM = 64;
  private static final Semaphore DERIVATIONS = new Semaphore(Runtime.getRuntime().availableProcessors(), true);
  private static final Pattern PHC = Pattern.compile(
      "\\$argon2id\\$v=19\\$m=(\\d{1,9}),t=(\\d{1,9}),p=(\\d{1,9})\\$([A-Za-z0-9+/]{11,86})\\$([A-Za-z0-9+/]{22,86})");

  private final Cost cost;
  private final SecureRandom random = new SecureRandom();

  /** A hasher that hashes new passwords with these Argon2id parameters. */
  public PasswordHasher(int memoryKib, int iterations, int parallelism) {
    this.cost = new Cost(memoryKib, iterations, parallelism);
    if (!cost.withinBounds()) {
      throw new IllegalArgumentException("Argon2id needs 1 <= p <= " + MAX_PARALLELISM + ", 8p <= m <= "
          + MAX_MEMORY_KIB + " KiB, 1 <= t <= " + MAX_ITERATIONS + "; got " + cost);
    }
  }

  /** OWASP's recommended Argon2id parameters: 19 MiB of memory, 2 iterations, 1 lane. */
  public static PasswordHasher defaults() {
    return new PasswordHasher(19_456, 2, 1);
  }

  /** {@code $argon2id$v=19$m=..,t=..,p=..$<salt>$<hash>} with a fresh 16-byte salt and a 32-byte hash. */
  public String hash(String password) {
    byte[] salt = new byte[SALT_BYTES];
    random.nextBytes(salt);
    return new Stored(cost, salt, cost.derive(password, salt, HASH_BYTES)).phc();
  }

  /** Whether {@code password} is the one hashed into {@code phc}; false if {@code phc} is malformed. */
  public boolean verify(String password, String phc) {
    return Stored.parse(phc)
        .map(stored -> MessageDigest.isEqual(stored.hash(), stored.cost().derive(password, stored.salt(),
            stored.hash().length)))
        .orElse(false);
  }

  /** Whether {@code phc} should be replaced by a fresh hash at the next successful login. */
  public boolean needsRehash(String phc) {
    return Stored.parse(phc)
        .map(stored -> !stored.cost().equals(cost) || stored.hash().length != HASH_BYTES)
        .orElse(true);
  }

  /** The Argon2id cost parameters: memory in KiB, iterations (passes), parallelism (lanes). */
  private record Cost(int memoryKib, int iterations, int parallelism) {
    boolean withinBounds() {
      return parallelism >= 1 && parallelism <= MAX_PARALLELISM
          && memoryKib >= 8 * parallelism && memoryKib <= MAX_MEMORY_KIB
          && iterations >= 1 && iterations <= MAX_ITERATIONS;
    }

    byte[] derive(String password, byte[] salt, int length) {
      // Each derivation takes memoryKib of heap; at most one per core run at once, so a burst of
      // logins queues instead of exhausting the heap.
      DERIVATIONS.acquireUninterruptibly();
      try {
        return deriveNow(password, salt, length);
      } finally {
        DERIVATIONS.release();
      }
    }

    private byte[] deriveNow(String password, byte[] salt, int length) {
      var generator = new Argon2BytesGenerator();
      generator.init(new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
          .withVersion(Argon2Parameters.ARGON2_VERSION_13)
          .withMemoryAsKB(memoryKib)
          .withIterations(iterations)
          .withParallelism(parallelism)
          .withSalt(salt)
          .build());
      byte[] secret = password.getBytes(UTF_8);
      byte[] out = new byte[length];
      generator.generateBytes(secret, out);
      Arrays.fill(secret, (byte) 0);
      return out;
    }
  }

  /** One stored hash in PHC string form (base64 without padding). */
  private record Stored(Cost cost, byte[] salt, byte[] hash) {
    static Optional<Stored> parse(String phc) {
      Matcher m = phc == null ? null : PHC.matcher(phc);
      if (m == null || !m.matches()) {
        return Optional.empty();
      }
      var cost = new Cost(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)));
      if (!cost.withinBounds()) {
        return Optional.empty();
      }
      try {
        return Optional.of(new Stored(cost, Base64.getDecoder().decode(m.group(4)),
            Base64.getDecoder().decode(m.group(5))));
      } catch (IllegalArgumentException notBase64) {
        return Optional.empty();
      }
    }

    String phc() {
      Base64.Encoder b64 = Base64.getEncoder().withoutPadding();
      return "$argon2id$v=" + ARGON2_VERSION + "$m=" + cost.memoryKib() + ",t=" + cost.iterations()
          + ",p=" + cost.parallelism() + "$" + b64.encodeToString(salt) + "$" + b64.encodeToString(hash);
    }
  }
}
