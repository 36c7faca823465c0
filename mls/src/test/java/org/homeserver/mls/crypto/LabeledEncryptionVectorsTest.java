package org.homeserver.mls.crypto;

import static org.homeserver.mls.TestVectors.hexField;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.homeserver.mls.TestVectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * EncryptWithLabel and DecryptWithLabel (RFC 9420 section 5.1.3, HPKE base mode) against every suite
 * of the working group's crypto-basics.json.
 */
class LabeledEncryptionVectorsTest {
  private static final List<Map<String, Object>> CASES = TestVectors.load("crypto-basics.json");

  record Case(CipherSuite suite, byte[] priv, byte[] pub, String label, byte[] context, byte[] plaintext,
              byte[] kemOutput, byte[] ciphertext) {
    byte[] decrypt(byte[] priv, String label, byte[] context, byte[] kemOutput, byte[] ciphertext)
        throws DecryptionFailedException {
      return LabeledEncryption.decryptWithLabel(suite, priv, label, context, kemOutput, ciphertext);
    }

    void assertFailsToDecrypt(byte[] priv, String label, byte[] context, byte[] kemOutput, byte[] ciphertext,
        String what) {
      assertThrows(DecryptionFailedException.class, () -> decrypt(priv, label, context, kemOutput, ciphertext), what);
    }

    @Override
    public String toString() {
      return suite.name();
    }
  }

  static Stream<Case> cases() {
    return CASES.stream().map(c -> {
      Map<String, Object> v = TestVectors.object(c, "encrypt_with_label");
      return new Case(TestVectors.suite(c), hexField(v, "priv"), hexField(v, "pub"), (String) v.get("label"),
          hexField(v, "context"), hexField(v, "plaintext"), hexField(v, "kem_output"), hexField(v, "ciphertext"));
    });
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void vectorCiphertextDecryptsToVectorPlaintext(Case c) throws DecryptionFailedException {
    assertArrayEquals(c.plaintext(), c.decrypt(c.priv(), c.label(), c.context(), c.kemOutput(), c.ciphertext()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void encryptionToVectorPublicKeyDecryptsWithVectorPrivateKey(Case c) throws DecryptionFailedException {
    LabeledEncryption.Sealed sealed =
        LabeledEncryption.encryptWithLabel(c.suite(), c.pub(), c.label(), c.context(), c.plaintext());
    assertEquals(c.suite().hpkePublicKeyLength(), sealed.kemOutput().length);
    assertArrayEquals(c.plaintext(), c.decrypt(c.priv(), c.label(), c.context(), sealed.kemOutput(),
        sealed.ciphertext()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void eachEncryptionUsesAFreshEphemeralKey(Case c) {
    LabeledEncryption.Sealed first =
        LabeledEncryption.encryptWithLabel(c.suite(), c.pub(), c.label(), c.context(), c.plaintext());
    LabeledEncryption.Sealed second =
        LabeledEncryption.encryptWithLabel(c.suite(), c.pub(), c.label(), c.context(), c.plaintext());
    assertFalse(Arrays.equals(first.kemOutput(), second.kemOutput()));
    assertFalse(Arrays.equals(first.ciphertext(), second.ciphertext()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void flippedBitInCiphertextFailsDecryption(Case c) {
    for (int i = 0; i < c.ciphertext().length; i++) {
      byte[] ciphertext = TestBytes.flipBit(c.ciphertext(), i * 8 + i % 8);
      c.assertFailsToDecrypt(c.priv(), c.label(), c.context(), c.kemOutput(), ciphertext, "ciphertext byte " + i);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void flippedBitInKemOutputFailsDecryption(Case c) {
    for (int i = 0; i < c.kemOutput().length; i++) {
      byte[] kemOutput = TestBytes.flipBit(c.kemOutput(), i * 8 + i % 8);
      c.assertFailsToDecrypt(c.priv(), c.label(), c.context(), kemOutput, c.ciphertext(), "kem_output byte " + i);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void flippedBitInContextFailsDecryption(Case c) {
    for (int i = 0; i < c.context().length; i++) {
      byte[] context = TestBytes.flipBit(c.context(), i * 8 + i % 8);
      c.assertFailsToDecrypt(c.priv(), c.label(), context, c.kemOutput(), c.ciphertext(), "context byte " + i);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void anotherLabelFailsDecryption(Case c) {
    c.assertFailsToDecrypt(c.priv(), c.label() + "x", c.context(), c.kemOutput(), c.ciphertext(), "label");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void anotherPrivateKeyFailsDecryption(Case c) {
    // Byte 10, well inside the key: X25519 and X448 ignore some bits of the first and last bytes.
    byte[] other = TestBytes.flipBit(c.priv(), 10 * 8 + 3);
    c.assertFailsToDecrypt(other, c.label(), c.context(), c.kemOutput(), c.ciphertext(), "private key");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void truncatedKemOutputFailsDecryption(Case c) {
    byte[] kemOutput = Arrays.copyOf(c.kemOutput(), c.kemOutput().length - 1);
    c.assertFailsToDecrypt(c.priv(), c.label(), c.context(), kemOutput, c.ciphertext(), "truncated kem_output");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void encryptionToAPublicKeyOfTheWrongLengthIsRefused(Case c) {
    byte[] pub = Arrays.copyOf(c.pub(), c.pub().length - 1);
    assertThrows(IllegalArgumentException.class,
        () -> LabeledEncryption.encryptWithLabel(c.suite(), pub, c.label(), c.context(), c.plaintext()));
  }
}
