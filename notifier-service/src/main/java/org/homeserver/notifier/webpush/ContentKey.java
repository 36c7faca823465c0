package org.homeserver.notifier.webpush;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import javax.crypto.KDF;
import javax.crypto.spec.HKDFParameterSpec;

/**
 * The AES-128-GCM key and nonce of one Web Push message (RFC 8291 section 3.4, RFC 8188 section 2.2).
 *
 * @param cek   the 16-byte content-encryption key
 * @param nonce the 12-byte nonce of the message's only record
 */
public record ContentKey(byte[] cek, byte[] nonce) {
  private static final byte[] WEB_PUSH_INFO = "WebPush: info\0".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] CEK_INFO = "Content-Encoding: aes128gcm\0".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] NONCE_INFO = "Content-Encoding: nonce\0".getBytes(StandardCharsets.US_ASCII);

  public ContentKey {
    cek = cek.clone();
    nonce = nonce.clone();
  }

  @Override
  public byte[] cek() {
    return cek.clone();
  }

  @Override
  public byte[] nonce() {
    return nonce.clone();
  }

  /**
   * The key of a message whose ECDH secret, subscription auth secret, subscription (user agent)
   * public key, sender (application server) public key and salt are given.
   */
  public static ContentKey derive(byte[] ecdhSecret, byte[] authSecret, byte[] uaPublic, byte[] asPublic, byte[] salt) {
    byte[] ikm = inputKeyingMaterial(ecdhSecret, authSecret, uaPublic, asPublic);
    return new ContentKey(hkdf(salt, ikm, CEK_INFO, 16), hkdf(salt, ikm, NONCE_INFO, 12));
  }

  /** RFC 8291's IKM: the ECDH secret bound to the auth secret and both public keys. */
  public static byte[] inputKeyingMaterial(byte[] ecdhSecret, byte[] authSecret, byte[] uaPublic, byte[] asPublic) {
    return hkdf(authSecret, ecdhSecret, concat(WEB_PUSH_INFO, uaPublic, asPublic), 32);
  }

  private static byte[] hkdf(byte[] salt, byte[] ikm, byte[] info, int length) {
    try {
      return KDF.getInstance("HKDF-SHA256")
          .deriveData(HKDFParameterSpec.ofExtract().addIKM(ikm).addSalt(salt).thenExpand(info, length));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK has no HKDF-SHA256", e);
    }
  }

  private static byte[] concat(byte[]... parts) {
    int length = 0;
    for (byte[] part : parts) {
      length += part.length;
    }
    byte[] joined = new byte[length];
    int at = 0;
    for (byte[] part : parts) {
      System.arraycopy(part, 0, joined, at, part.length);
      at += part.length;
    }
    return joined;
  }
}
