package org.homeserver.notifier.testing;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.interfaces.ECPublicKey;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.homeserver.notifier.webpush.ContentKey;
import org.homeserver.notifier.webpush.P256;
import org.homeserver.notifier.webpush.WebPushEncryption;

/** A browser's side of one Web Push subscription: its P-256 key pair and auth secret, and decryption (RFC 8291). */
public final class SubscriptionKeys {
  // RFC 8188's value, not the sender's constant: the receiver is the sender's independent check.
  private static final byte LAST_RECORD_DELIMITER = 0x02;
  private final KeyPair keyPair;
  private final byte[] auth;

  private SubscriptionKeys(KeyPair keyPair, byte[] auth) {
    this.keyPair = keyPair;
    this.auth = auth.clone();
  }

  public static SubscriptionKeys generate(SecureRandom random) {
    byte[] auth = new byte[WebPushEncryption.AUTH_SECRET_BYTES];
    random.nextBytes(auth);
    return new SubscriptionKeys(P256.generate(random), auth);
  }

  /** Keys given from outside, as in the RFC 8291 example. */
  public static SubscriptionKeys of(KeyPair keyPair, byte[] auth) {
    return new SubscriptionKeys(keyPair, auth);
  }

  /** The public key a subscription hands out, 65 bytes. */
  public byte[] p256dh() {
    return P256.encode((ECPublicKey) keyPair.getPublic());
  }

  public byte[] auth() {
    return auth.clone();
  }

  /** The plaintext of an aes128gcm body of one record sent to this subscription. */
  public byte[] decrypt(byte[] body) throws InvalidPush {
    if (body.length < WebPushEncryption.HEADER_BYTES + WebPushEncryption.TAG_BITS / 8 + 1) {
      throw new InvalidPush("the body is shorter than an aes128gcm header and one record");
    }
    ByteBuffer in = ByteBuffer.wrap(body);
    byte[] salt = new byte[WebPushEncryption.SALT_BYTES];
    in.get(salt);
    int recordSize = in.getInt();
    int keyIdLength = Byte.toUnsignedInt(in.get());
    if (keyIdLength != P256.POINT_BYTES) {
      throw new InvalidPush("the keyid is " + keyIdLength + " bytes, not a 65-byte P-256 point");
    }
    byte[] senderKey = new byte[keyIdLength];
    in.get(senderKey);
    byte[] ciphertext = Arrays.copyOfRange(body, in.position(), body.length);
    if (ciphertext.length > recordSize) {
      throw new InvalidPush("more than one record (" + ciphertext.length + " bytes, record size " + recordSize + ")");
    }
    return unpad(open(ciphertext, key(salt, senderKey)));
  }

  private ContentKey key(byte[] salt, byte[] senderKey) throws InvalidPush {
    try {
      byte[] ecdhSecret = P256.sharedSecret(keyPair.getPrivate(), P256.publicKey(senderKey));
      return ContentKey.derive(ecdhSecret, auth, p256dh(), senderKey, salt);
    } catch (IllegalArgumentException e) {
      throw new InvalidPush("the keyid is not a usable P-256 key: " + e.getMessage());
    }
  }

  private static byte[] open(byte[] ciphertext, ContentKey key) throws InvalidPush {
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key.cek(), "AES"),
          new GCMParameterSpec(WebPushEncryption.TAG_BITS, key.nonce()));
      return cipher.doFinal(ciphertext);
    } catch (GeneralSecurityException e) {
      throw new InvalidPush("the body does not decrypt: " + e.getMessage());
    }
  }

  /** RFC 8188 section 2: the last record ends with 0x02 and then only zeros. */
  private static byte[] unpad(byte[] record) throws InvalidPush {
    int end = record.length - 1;
    while (end >= 0 && record[end] == 0) {
      end--;
    }
    if (end < 0 || record[end] != LAST_RECORD_DELIMITER) {
      throw new InvalidPush("the record does not end with the last-record delimiter 0x02");
    }
    return Arrays.copyOf(record, end);
  }
}
