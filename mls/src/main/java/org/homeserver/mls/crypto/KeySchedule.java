package org.homeserver.mls.crypto;

import java.util.List;
import org.homeserver.mls.codec.MlsWriter;

/**
 * The part of the key schedule (RFC 9420 section 8) a new member runs from a Welcome: from the
 * joiner secret and the PSK secret to the welcome key and nonce that encrypt the GroupInfo (section
 * 12.4.3.1) and to the epoch secret and the secrets a joiner checks with. Like {@link TranscriptHashes},
 * these take the encoded structures (GroupContext, PreSharedKeyID).
 */
public final class KeySchedule {
  private static final byte[] EMPTY = new byte[0];

  private KeySchedule() {}

  /**
   * One pre-shared key of a Welcome's GroupSecrets (section 8.4).
   *
   * @param id    the encoded PreSharedKeyID, nonce included
   * @param value the key itself, which the joiner must already hold
   */
  public record Psk(byte[] id, byte[] value) {}

  /**
   * The psk_secret of section 8.4: the all-zero vector of KDF.Nh bytes for no PSKs, otherwise each
   * PSK in order chained into it through {@code PSKLabel = id || uint16(index) || uint16(count)}.
   */
  public static byte[] pskSecret(CipherSuite suite, List<Psk> psks) {
    byte[] zero = new byte[suite.hashLength()];
    byte[] secret = zero;
    for (int i = 0; i < psks.size(); i++) {
      Psk psk = psks.get(i);
      byte[] extracted = suite.extract(zero, psk.value());
      byte[] pskLabel = new MlsWriter().raw(psk.id()).u16(i).u16(psks.size()).toByteArray();
      byte[] input = KeyDerivation.expandWithLabel(suite, extracted, "derived psk", pskLabel, suite.hashLength());
      secret = suite.extract(input, secret);
    }
    return secret;
  }

  /**
   * {@code KDF.Extract(joiner_secret, psk_secret)}: the secret that both the welcome secret and the
   * epoch secret come from. The RFC draws it without a name; "member secret" is ours.
   */
  public static byte[] memberSecret(CipherSuite suite, byte[] joinerSecret, byte[] pskSecret) {
    return suite.extract(joinerSecret, pskSecret);
  }

  /** {@code welcome_secret = DeriveSecret(member_secret, "welcome")}. */
  public static byte[] welcomeSecret(CipherSuite suite, byte[] memberSecret) {
    return KeyDerivation.deriveSecret(suite, memberSecret, "welcome");
  }

  /** {@code welcome_key = ExpandWithLabel(welcome_secret, "key", "", AEAD.Nk)} (section 12.4.3.1). */
  public static byte[] welcomeKey(CipherSuite suite, byte[] welcomeSecret) {
    return KeyDerivation.expandWithLabel(suite, welcomeSecret, "key", EMPTY, suite.aeadKeyLength());
  }

  /** {@code welcome_nonce = ExpandWithLabel(welcome_secret, "nonce", "", AEAD.Nn)} (section 12.4.3.1). */
  public static byte[] welcomeNonce(CipherSuite suite, byte[] welcomeSecret) {
    return KeyDerivation.expandWithLabel(suite, welcomeSecret, "nonce", EMPTY, suite.aeadNonceLength());
  }

  /** {@code epoch_secret = ExpandWithLabel(member_secret, "epoch", GroupContext, KDF.Nh)}. */
  public static byte[] epochSecret(CipherSuite suite, byte[] memberSecret, byte[] groupContext) {
    return KeyDerivation.expandWithLabel(suite, memberSecret, "epoch", groupContext, suite.hashLength());
  }

  /** {@code confirmation_key = DeriveSecret(epoch_secret, "confirm")}, the key of the confirmation tag. */
  public static byte[] confirmationKey(CipherSuite suite, byte[] epochSecret) {
    return KeyDerivation.deriveSecret(suite, epochSecret, "confirm");
  }

  /** {@code epoch_authenticator = DeriveSecret(epoch_secret, "authentication")}, which members compare out of band. */
  public static byte[] epochAuthenticator(CipherSuite suite, byte[] epochSecret) {
    return KeyDerivation.deriveSecret(suite, epochSecret, "authentication");
  }
}
