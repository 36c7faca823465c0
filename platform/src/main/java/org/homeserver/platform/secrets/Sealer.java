package org.homeserver.platform.secrets;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Seals private keys for the database with AES-256-GCM under the current key-encryption key, and
 * opens them under it or a previous one.
 *
 * <p>A sealed value is {@code "hsk" | version 1 | key id (8 bytes) | nonce (12) | ciphertext and
 * tag (key length + 16)}. The associated data is its first 12 bytes and the purpose of the value
 * ({@code auth.authority.root}, {@code auth.token_keys/<key id>}, ...), so a value copied to another
 * row does not open there.
 *
 * <p>Telling sealed values from the plaintext keys earlier versions stored: a value is sealed when
 * it starts with {@code "hsk"} and is at least 40 bytes long (the sealing of an empty key); anything
 * else is plaintext. No plaintext key passes for sealed: PKCS#8 DER starts with 0x30 (an ASN.1
 * SEQUENCE), not {@code 'h'}, and a raw Ed25519 key is 32 bytes, shorter than any sealed value.
 */
public final class Sealer {
  private static final Logger log = LoggerFactory.getLogger(Sealer.class);
  private static final byte[] MAGIC = {'h', 's', 'k'};
  private static final byte VERSION = 1;
  private static final int HEADER_LENGTH = MAGIC.length + 1 + KeyEncryptionKey.ID_LENGTH;
  private static final int NONCE_LENGTH = 12;
  private static final int TAG_BITS = 128;
  /** The length of a sealed empty key: nothing sealed is shorter. */
  static final int SHORTEST = HEADER_LENGTH + NONCE_LENGTH + TAG_BITS / 8;

  private final KeyEncryptionKey current;
  private final List<KeyEncryptionKey> previous;
  private final SecureRandom random = new SecureRandom();

  public Sealer(KeyEncryptionKey current, List<KeyEncryptionKey> previous) {
    this.current = current;
    this.previous = List.copyOf(previous);
  }

  /** A key read from the database, and what to store in its place when it is not sealed under the current key. */
  public record Unsealed(byte[] privateKey, Optional<byte[]> resealed) {}

  /** The id of the key new values are sealed under. */
  public String currentKeyId() {
    return current.id();
  }

  /** {@code privateKey} sealed under the current key for the row {@code purpose} names. */
  public byte[] seal(byte[] privateKey, String purpose) {
    byte[] nonce = new byte[NONCE_LENGTH];
    random.nextBytes(nonce);
    byte[] header = ByteBuffer.allocate(HEADER_LENGTH).put(MAGIC).put(VERSION).put(current.idBytes()).array();
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, current.secretKey(), new GCMParameterSpec(TAG_BITS, nonce));
      cipher.updateAAD(associatedData(header, purpose));
      byte[] sealed = cipher.doFinal(privateKey);
      return ByteBuffer.allocate(HEADER_LENGTH + NONCE_LENGTH + sealed.length).put(header).put(nonce).put(sealed).array();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("every Java runtime has AES-256-GCM", e);
    }
  }

  /** The private key in a value {@link #seal} made for {@code purpose}, under the current or a previous key. */
  public byte[] unseal(byte[] sealed, String purpose) {
    if (!isSealed(sealed)) {
      throw new SealedKeyException(purpose + " is not a sealed value");
    }
    if (sealed[MAGIC.length] != VERSION) {
      throw new SealedKeyException(purpose + " is sealed in format version " + sealed[MAGIC.length]
          + ", which this version of the homeserver does not read; was it written by a newer one?");
    }
    byte[] header = Arrays.copyOf(sealed, HEADER_LENGTH);
    String keyId = HexFormat.of().formatHex(header, MAGIC.length + 1, HEADER_LENGTH);
    KeyEncryptionKey key = known().stream().filter(k -> k.id().equals(keyId)).findFirst()
        .orElseThrow(() -> new SealedKeyException(purpose + " is sealed under key-encryption key " + keyId
            + ", which this process was not given (it has " + ids() + "); configure that key as "
            + "secrets.key-encryption-key-file or secrets.key-encryption-key, or list it in "
            + "secrets.previous-key-encryption-keys (a key's id is the first 16 hex digits of its SHA-256: "
            + "base64 -d < keyfile | sha256sum)"));
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.DECRYPT_MODE, key.secretKey(),
          new GCMParameterSpec(TAG_BITS, sealed, HEADER_LENGTH, NONCE_LENGTH));
      cipher.updateAAD(associatedData(header, purpose));
      return cipher.doFinal(sealed, HEADER_LENGTH + NONCE_LENGTH, sealed.length - HEADER_LENGTH - NONCE_LENGTH);
    } catch (AEADBadTagException e) {
      throw new SealedKeyException(purpose + " does not open under key-encryption key " + keyId
          + ", the key it names: the stored value was altered or copied from another row; restore it from a "
          + "backup of the database", e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("every Java runtime has AES-256-GCM", e);
    }
  }

  /**
   * A value read from the database for {@code purpose}: sealed, or a plaintext key an earlier version
   * stored. Plaintext and values under a previous key come with their sealing under the current key.
   */
  public Unsealed open(byte[] stored, String purpose) {
    if (!isSealed(stored)) {
      log.info("{} was stored in plaintext; sealing it under key-encryption key {}", purpose, current.id());
      return new Unsealed(stored, Optional.of(seal(stored, purpose)));
    }
    byte[] key = unseal(stored, purpose);
    String keyId = HexFormat.of().formatHex(stored, MAGIC.length + 1, HEADER_LENGTH);
    if (keyId.equals(current.id())) {
      return new Unsealed(key, Optional.empty());
    }
    log.info("{} is sealed under previous key-encryption key {}; sealing it again under {}", purpose, keyId,
        current.id());
    return new Unsealed(key, Optional.of(seal(key, purpose)));
  }

  /** Whether a stored value is sealed rather than a plaintext key: the rule in the class comment. */
  public static boolean isSealed(byte[] stored) {
    return stored.length >= SHORTEST && Arrays.equals(stored, 0, MAGIC.length, MAGIC, 0, MAGIC.length);
  }

  private List<KeyEncryptionKey> known() {
    List<KeyEncryptionKey> all = new ArrayList<>(List.of(current));
    all.addAll(previous);
    return all;
  }

  private String ids() {
    StringBuilder ids = new StringBuilder(current.id() + " (current)");
    previous.forEach(k -> ids.append(", ").append(k.id()).append(" (previous)"));
    return ids.toString();
  }

  private static byte[] associatedData(byte[] header, String purpose) {
    byte[] name = purpose.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(header.length + name.length).put(header).put(name).array();
  }
}
