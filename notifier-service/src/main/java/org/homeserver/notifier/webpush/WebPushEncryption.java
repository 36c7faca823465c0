package org.homeserver.notifier.webpush;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.interfaces.ECPublicKey;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/** Encrypts one push message for one subscription: RFC 8291 in RFC 8188's aes128gcm, as a single record. */
public final class WebPushEncryption {
  /** The record size written in the header; the whole message is one record no larger. */
  public static final int RECORD_SIZE = 4096;
  /** The largest plaintext that fits, as RFC 8291 section 4 counts it: 4096 - 86 - 16 - 1. */
  public static final int MAX_PLAINTEXT = 3993;
  public static final int SALT_BYTES = 16;
  public static final int AUTH_SECRET_BYTES = 16;
  /** salt(16) || rs(4) || idlen(1) || keyid(65). */
  public static final int HEADER_BYTES = SALT_BYTES + 4 + 1 + P256.POINT_BYTES;
  public static final int TAG_BITS = 128;
  /** The delimiter that ends the padding of the last (here the only) record. */
  private static final byte LAST_RECORD_DELIMITER = 0x02;

  private WebPushEncryption() {}

  /**
   * The request body carrying {@code plaintext} to the subscription with these keys.
   *
   * @throws IllegalArgumentException if a key is malformed or the plaintext is too large
   */
  public static byte[] encrypt(byte[] plaintext, byte[] uaPublicKey, byte[] authSecret, SecureRandom random) {
    byte[] salt = new byte[SALT_BYTES];
    random.nextBytes(salt);
    return encrypt(plaintext, uaPublicKey, authSecret, P256.generate(random), salt);
  }

  /** The same with the sender's ephemeral key pair and the salt given, to reproduce known answers. */
  public static byte[] encrypt(byte[] plaintext, byte[] uaPublicKey, byte[] authSecret, KeyPair sender, byte[] salt) {
    requireValidKeys(uaPublicKey, authSecret);
    if (plaintext.length > MAX_PLAINTEXT) {
      throw new IllegalArgumentException("a push message holds at most " + MAX_PLAINTEXT + " bytes");
    }
    if (salt.length != SALT_BYTES) {
      throw new IllegalArgumentException("the salt is " + SALT_BYTES + " bytes");
    }
    byte[] asPublic = P256.encode((ECPublicKey) sender.getPublic());
    byte[] ecdhSecret = P256.sharedSecret(sender.getPrivate(), P256.publicKey(uaPublicKey));
    ContentKey key = ContentKey.derive(ecdhSecret, authSecret, uaPublicKey, asPublic, salt);
    byte[] ciphertext = seal(key, plaintext);
    return ByteBuffer.allocate(HEADER_BYTES + ciphertext.length)
        .put(salt).putInt(RECORD_SIZE).put((byte) asPublic.length).put(asPublic)
        .put(ciphertext)
        .array();
  }

  /**
   * Checks a subscription's keys as a browser hands them out: {@code p256dh} a P-256 point,
   * {@code auth} 16 bytes.
   *
   * @throws IllegalArgumentException saying which is wrong
   */
  public static void requireValidKeys(byte[] p256dh, byte[] auth) {
    P256.publicKey(p256dh);
    if (auth.length != AUTH_SECRET_BYTES) {
      throw new IllegalArgumentException("the auth secret is " + AUTH_SECRET_BYTES + " bytes, not " + auth.length);
    }
  }

  private static byte[] seal(ContentKey key, byte[] plaintext) {
    byte[] padded = new byte[plaintext.length + 1];
    System.arraycopy(plaintext, 0, padded, 0, plaintext.length);
    padded[plaintext.length] = LAST_RECORD_DELIMITER;
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key.cek(), "AES"), new GCMParameterSpec(TAG_BITS, key.nonce()));
      return cipher.doFinal(padded);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK has no AES-128-GCM", e);
    }
  }
}
