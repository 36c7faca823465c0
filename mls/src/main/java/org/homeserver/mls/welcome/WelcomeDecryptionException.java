package org.homeserver.mls.welcome;

/** A Welcome this joiner cannot use: at which step of {@link WelcomeDecryption} it failed, and why. */
public final class WelcomeDecryptionException extends Exception {
  /** The step that failed, in the order they are taken. */
  public enum Step {
    /** The Welcome's cipher suite is none of RFC 9420's, or not the KeyPackage's. */
    CIPHER_SUITE,
    /** No EncryptedGroupSecrets names the KeyPackage's KeyPackageRef. */
    KEY_PACKAGE_REF,
    /** The GroupSecrets do not decrypt with the init key, or do not decode. */
    GROUP_SECRETS,
    /** The GroupSecrets name a pre-shared key the joiner does not hold. */
    PRE_SHARED_KEY,
    /** The GroupInfo does not decrypt with the welcome key, or does not decode. */
    GROUP_INFO,
    /** The GroupInfo's confirmation tag is not the MAC of its confirmed transcript hash. */
    CONFIRMATION_TAG
  }

  private final Step step;

  public WelcomeDecryptionException(Step step, String detail) {
    super(step + ": " + detail, null, false, false);
    this.step = step;
  }

  public Step step() {
    return step;
  }
}
