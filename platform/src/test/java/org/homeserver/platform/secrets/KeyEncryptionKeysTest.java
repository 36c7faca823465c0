package org.homeserver.platform.secrets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.homeserver.platform.config.ConfigException;
import org.homeserver.platform.config.ConfigLoader;
import org.homeserver.platform.config.HomeserverConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeyEncryptionKeysTest {
  private static final String EXTERNAL = "jdbc:postgresql://db.internal:5432/homeserver";

  @TempDir
  Path dir;
  private final SecureRandom random = new SecureRandom();

  private HomeserverConfig config(Map<String, String> settings) throws ConfigException {
    Map<String, String> all = new HashMap<>(settings);
    all.put("data-dir", dir.resolve("data").toString());
    return new ConfigLoader(Map.of()).load(null, all);
  }

  @Test
  void keyIsReadFromTheConfiguredFile() throws Exception {
    KeyEncryptionKey key = KeyEncryptionKey.generate(random);
    Path file = Files.writeString(dir.resolve("kek"), key.base64() + "\n");
    HomeserverConfig config = config(Map.of("database.url", EXTERNAL, "secrets.key-encryption-key-file", file.toString()));
    assertEquals(key.id(), KeyEncryptionKeys.settle(config).currentKeyId());
    assertTrue(Files.notExists(KeyEncryptionKeys.generatedFile(config)));
  }

  @Test
  void keyIsTakenFromTheConfiguredValueAndPreviousKeysStillOpen() throws Exception {
    KeyEncryptionKey current = KeyEncryptionKey.generate(random);
    KeyEncryptionKey previous = KeyEncryptionKey.generate(random);
    byte[] underPrevious = new Sealer(previous, List.of()).seal(new byte[] {1, 2, 3}, "notifier.vapid");
    Sealer sealer = KeyEncryptionKeys.settle(config(Map.of("database.url", EXTERNAL,
        "secrets.key-encryption-key", current.base64(),
        "secrets.previous-key-encryption-keys", KeyEncryptionKey.generate(random).base64() + ", " + previous.base64())));
    assertEquals(current.id(), sealer.currentKeyId());
    assertArrayEquals(new byte[] {1, 2, 3}, sealer.unseal(underPrevious, "notifier.vapid"));
  }

  @Test
  void missingKeyFileIsAConfigurationErrorNamingIt() throws Exception {
    Path file = dir.resolve("nowhere");
    ConfigException e = assertThrows(ConfigException.class, () -> KeyEncryptionKeys.read(
        config(Map.of("database.url", EXTERNAL, "secrets.key-encryption-key-file", file.toString()))));
    assertEquals(List.of("config: secrets.key-encryption-key-file: " + file + " does not exist"), e.problems());
  }

  @Test
  void keyFileThatCannotBeReadIsAConfigurationError() throws Exception {
    Path notAFile = Files.createDirectory(dir.resolve("a-directory"));
    ConfigException e = assertThrows(ConfigException.class, () -> KeyEncryptionKeys.read(
        config(Map.of("database.url", EXTERNAL, "secrets.key-encryption-key-file", notAFile.toString()))));
    assertTrue(e.getMessage().startsWith("config: secrets.key-encryption-key-file: " + notAFile + " cannot be read: "),
        e.getMessage());
  }

  @Test
  void keyFileWithoutThirtyTwoBytesOfBase64IsAConfigurationError() throws Exception {
    Path file = dir.resolve("kek");
    HomeserverConfig config = config(Map.of("database.url", EXTERNAL, "secrets.key-encryption-key-file", file.toString()));
    Files.writeString(file, "AAAAAAAAAAAAAAAAAAAAAA==\n");
    assertEquals(List.of("config: secrets.key-encryption-key-file: " + file + " must hold 32 bytes in base64 (make one "
        + "with `head -c 32 /dev/urandom | base64`), but holds base64 of 16 bytes, not 32"),
        assertThrows(ConfigException.class, () -> KeyEncryptionKeys.read(config)).problems());
    Files.writeString(file, "-----BEGIN PRIVATE KEY-----\n");
    assertTrue(assertThrows(ConfigException.class, () -> KeyEncryptionKeys.read(config)).getMessage()
        .endsWith("but holds not base64"));
  }

  @Test
  void withNoKeyConfiguredOneIsGeneratedOnceIntoTheDataDirectoryForItsOwnerAlone() throws Exception {
    HomeserverConfig embedded = config(Map.of());
    Path file = KeyEncryptionKeys.generatedFile(embedded);
    assertEquals(dir.resolve("data").resolve("key-encryption-key"), file);
    assertTrue(KeyEncryptionKeys.read(embedded).isEmpty());

    String id = KeyEncryptionKeys.settle(embedded).currentKeyId();
    String written = Files.readString(file);
    assertEquals(id, KeyEncryptionKey.fromBase64(written).id());
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    assertEquals(id, KeyEncryptionKeys.settle(embedded).currentKeyId());
    assertEquals(written, Files.readString(file));
    try (var files = Files.list(file.getParent())) {
      assertEquals(List.of(file), files.toList(), "no draft is left behind");
    }
  }

  @Test
  void generatedKeyFileThatWasDamagedIsReportedNotReplaced() throws Exception {
    HomeserverConfig embedded = config(Map.of());
    Path file = KeyEncryptionKeys.generatedFile(embedded);
    Files.createDirectories(file.getParent());
    Files.writeString(file, "damaged");
    ConfigException e = assertThrows(ConfigException.class, () -> KeyEncryptionKeys.settle(embedded));
    assertTrue(e.getMessage().startsWith("config: secrets.key-encryption-key-file: " + file
        + " (the key generated for the embedded PostgreSQL) must hold 32 bytes in base64"), e.getMessage());
    assertEquals("damaged", Files.readString(file));
  }
}
