package org.homeserver.mls.crypto;

import org.bouncycastle.crypto.AsymmetricCipherKeyPair;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.hpke.HPKE;
import org.bouncycastle.crypto.hpke.HPKEContextWithEncapsulation;
import org.bouncycastle.crypto.params.AsymmetricKeyParameter;

/**
 * EncryptWithLabel and DecryptWithLabel (RFC 9420 section 5.1.3): HPKE base mode (RFC 9180 section
 * 5.1) to a public key, with the label and context as HPKE's info, so a ciphertext made for one
 * purpose never decrypts as another. HPKE keys are raw as MLS carries them: X25519 and X448 as
 * RFC 7748 byte strings, NIST curve public keys as uncompressed SEC1 points and private keys as
 * big-endian scalars (leading zero bytes may be left out).
 */
public final class LabeledEncryption {
  private static final byte[] NO_AAD = new byte[0];

  /** HPKE's output: the KEM's encapsulated key and the AEAD ciphertext (HPKECiphertext, section 7.6). */
  public record Sealed(byte[] kemOutput, byte[] ciphertext) {}

  private LabeledEncryption() {}

  /** EncryptContext: {@code opaque("MLS 1.0 " + label) || opaque(context)}, HPKE's info. */
  public static byte[] encryptContext(String label, byte[] context) {
    return Labels.withContent(label, context);
  }

  /**
   * {@code SealBase(publicKey, EncryptContext(label, context), "", plaintext)}, with a fresh ephemeral
   * key. Throws IllegalArgumentException if {@code publicKey} is not an HPKE public key of the suite.
   */
  public static Sealed encryptWithLabel(CipherSuite suite, byte[] publicKey, String label, byte[] context,
      byte[] plaintext) {
    HPKE hpke = suite.hpke();
    AsymmetricKeyParameter recipient;
    try {
      recipient = hpke.deserializePublicKey(publicKey);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("not an HPKE public key of " + suite, e);
    }
    HPKEContextWithEncapsulation sender = hpke.setupBaseS(recipient, encryptContext(label, context));
    try {
      return new Sealed(sender.getEncapsulation(), sender.seal(NO_AAD, plaintext));
    } catch (InvalidCipherTextException e) {
      throw new IllegalStateException("sealing cannot fail to authenticate", e);
    }
  }

  /**
   * {@code OpenBase(kemOutput, privateKey, EncryptContext(label, context), "", ciphertext)}: the
   * plaintext, if the ciphertext was sealed to the public key of {@code privateKey} with this label
   * and context and is undamaged.
   */
  public static byte[] decryptWithLabel(CipherSuite suite, byte[] privateKey, String label, byte[] context,
      byte[] kemOutput, byte[] ciphertext) throws DecryptionFailedException {
    HPKE hpke = suite.hpke();
    AsymmetricCipherKeyPair recipient = recipientKeys(hpke, suite, privateKey);
    if (kemOutput.length != suite.hpkePublicKeyLength()) {
      throw new DecryptionFailedException("kem_output has " + kemOutput.length + " bytes; an HPKE public key of "
          + suite + " has " + suite.hpkePublicKeyLength());
    }
    try {
      return hpke.setupBaseR(kemOutput, recipient, encryptContext(label, context)).open(NO_AAD, ciphertext);
    } catch (InvalidCipherTextException e) {
      throw new DecryptionFailedException("the HPKE ciphertext does not authenticate: a different key, label or "
          + "context, or damaged bytes");
    } catch (IllegalArgumentException | IllegalStateException e) {
      // Bouncy Castle's refusal of a kem_output that is no point of the curve, or a low-order one.
      throw new DecryptionFailedException("kem_output is not a usable HPKE public key of " + suite);
    }
  }

  private static AsymmetricCipherKeyPair recipientKeys(HPKE hpke, CipherSuite suite, byte[] privateKey) {
    try {
      return hpke.deserializePrivateKey(suite.hpkePrivateKey(privateKey), null);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("not an HPKE private key of " + suite, e);
    }
  }
}
