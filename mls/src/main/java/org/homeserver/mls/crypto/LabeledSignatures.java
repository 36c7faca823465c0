package org.homeserver.mls.crypto;

/**
 * SignWithLabel and VerifyWithLabel (RFC 9420 section 5.1.2): every MLS signature covers a label, so
 * a signature made for one structure can never be passed off as one over another.
 */
public final class LabeledSignatures {
  private LabeledSignatures() {}

  /** SignContent: {@code opaque("MLS 1.0 " + label) || opaque(content)}, the bytes actually signed. */
  public static byte[] signContent(String label, byte[] content) {
    return Labels.withContent(label, content);
  }

  /** Signs SignContent(label, content); throws IllegalArgumentException for an invalid private key. */
  public static byte[] signWithLabel(SignatureScheme scheme, byte[] privateKey, String label, byte[] content) {
    return scheme.sign(privateKey, signContent(label, content));
  }

  /** Whether {@code signature} signs SignContent(label, content); false for any malformed key or signature. */
  public static boolean verifyWithLabel(
      SignatureScheme scheme, byte[] publicKey, String label, byte[] content, byte[] signature) {
    return scheme.verify(publicKey, signContent(label, content), signature);
  }

  /** The same with a key checked once for several signatures. */
  public static boolean verifyWithLabel(VerificationKey key, String label, byte[] content, byte[] signature) {
    return key.verify(signContent(label, content), signature);
  }
}
