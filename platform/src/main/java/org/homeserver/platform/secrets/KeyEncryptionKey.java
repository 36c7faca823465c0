package org.homeserver.platform.secrets;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * A key-encryption key: 32 random bytes under which private keys are sealed in the database, known
 * by its id, the first 8 bytes of SHA-256 over the key (so an operator can find which of their keys
 * an error names with {@code base64 -d < file | sha256sum}).
 */
public final class KeyEncryptionKey {
  public static final int LENGTH = 32;
  static final int ID_LENGTH = 8;

  private final byte[] key;
  private final byte[] id;

  private KeyEncryptionKey(byte[] key) {
    this.key = key.clone();
    this.id = Arrays.copyOf(sha256(key), ID_LENGTH);
  }

  /** The key of these 32 bytes. */
  public static KeyEncryptionKey of(byte[] key) {
    if (key.length != LENGTH) {
      throw new IllegalArgumentException("a key-encryption key is " + LENGTH + " bytes, not " + key.length);
    }
    return new KeyEncryptionKey(key);
  }

  /** The key written in base64 (surrounding white space ignored), as in the configuration and the key file. */
  public static KeyEncryptionKey fromBase64(String text) {
    byte[] key;
    try {
      key = Base64.getDecoder().decode(text.strip());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("not base64");
    }
    if (key.length != LENGTH) {
      throw new IllegalArgumentException("base64 of " + key.length + " bytes, not " + LENGTH);
    }
    return new KeyEncryptionKey(key);
  }

  public static KeyEncryptionKey generate(SecureRandom random) {
    byte[] key = new byte[LENGTH];
    random.nextBytes(key);
    return new KeyEncryptionKey(key);
  }

  /** The id, 16 hexadecimal digits. */
  public String id() {
    return HexFormat.of().formatHex(id);
  }

  public String base64() {
    return Base64.getEncoder().encodeToString(key);
  }

  byte[] idBytes() {
    return id.clone();
  }

  SecretKey secretKey() {
    return new SecretKeySpec(key, "AES");
  }

  /** The id only: the key itself never reaches a log. */
  @Override
  public String toString() {
    return "key-encryption key " + id();
  }

  private static byte[] sha256(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }
}
