package org.homeserver.platform.secrets;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Optional;
import org.homeserver.platform.config.ConfigException;
import org.homeserver.platform.config.ConfigSchema;
import org.homeserver.platform.config.HomeserverConfig;

/**
 * Where the process's key-encryption keys come from: {@code secrets.key-encryption-key-file} or
 * {@code secrets.key-encryption-key}, or with neither (allowed only with the embedded PostgreSQL) a
 * key generated once into {@code <data-dir>/key-encryption-key}, readable by its owner only; and
 * the previous keys of a rotation.
 */
public final class KeyEncryptionKeys {
  private KeyEncryptionKeys() {}

  /** The file a key is generated into when the configuration names none. */
  public static Path generatedFile(HomeserverConfig config) {
    return config.dataDir().resolve("key-encryption-key");
  }

  /** The keys in force, generating the data directory's key the first time none is configured. */
  public static Sealer settle(HomeserverConfig config) throws ConfigException, IOException {
    Optional<Sealer> configured = read(config);
    if (configured.isPresent()) {
      return configured.get();
    }
    generate(generatedFile(config));
    return read(config).orElseThrow();
  }

  /** The keys as configured, generating nothing: empty when the data directory's key is yet to be made. */
  public static Optional<Sealer> read(HomeserverConfig config) throws ConfigException {
    HomeserverConfig.Secrets secrets = config.secrets();
    Optional<KeyEncryptionKey> current;
    if (secrets.keyEncryptionKey().isPresent()) {
      current = secrets.keyEncryptionKey().map(KeyEncryptionKey::fromBase64);
    } else if (secrets.keyEncryptionKeyFile().isPresent()) {
      current = Optional.of(fromFile(secrets.keyEncryptionKeyFile().get(), ""));
    } else {
      Path generated = generatedFile(config);
      current = Files.exists(generated)
          ? Optional.of(fromFile(generated, " (the key generated for the embedded PostgreSQL)"))
          : Optional.empty();
    }
    return current.map(key -> new Sealer(key,
        secrets.previousKeyEncryptionKeys().stream().map(KeyEncryptionKey::fromBase64).toList()));
  }

  private static KeyEncryptionKey fromFile(Path file, String which) throws ConfigException {
    String problem = "config: " + ConfigSchema.KEK_FILE.key() + ": " + file + which;
    String text;
    try {
      text = Files.readString(file, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new ConfigException(problem + switch (e) {
        case NoSuchFileException missing -> " does not exist";
        case AccessDeniedException denied -> " may not be read by this process";
        default -> " cannot be read: " + e;
      });
    }
    try {
      return KeyEncryptionKey.fromBase64(text);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(problem + " must hold 32 bytes in base64 (make one with "
          + "`head -c 32 /dev/urandom | base64`), but holds " + e.getMessage());
    }
  }

  /**
   * Writes a new key to {@code file}: to a draft readable by its owner alone, flushed to disk, then
   * renamed into place, so a crash leaves either no key or a whole one; never over an existing file,
   * since data may be sealed under it.
   */
  private static void generate(Path file) throws IOException {
    Files.createDirectories(file.getParent());
    Path draft = Files.createTempFile(file.getParent(), "key-encryption-key", ".tmp",
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    try {
      String key = KeyEncryptionKey.generate(new SecureRandom()).base64() + "\n";
      try (FileChannel channel = FileChannel.open(draft, StandardOpenOption.WRITE)) {
        channel.write(ByteBuffer.wrap(key.getBytes(StandardCharsets.US_ASCII)));
        channel.force(true);
      }
      Files.move(draft, file);
      try (FileChannel directory = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
        directory.force(true);
      }
    } finally {
      Files.deleteIfExists(draft);
    }
  }
}
