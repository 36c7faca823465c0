package org.homeserver.mls.crypto;

import static org.homeserver.mls.TestVectors.hex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.homeserver.mls.TestVectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** RefHash and SignWithLabel against every suite of the working group's crypto-basics.json. */
class CryptoBasicsVectorsTest {
  private static final List<Map<String, Object>> CASES = TestVectors.load("crypto-basics.json");

  record RefHashCase(CipherSuite suite, String label, byte[] value, byte[] out) {
    @Override
    public String toString() {
      return suite.name();
    }
  }

  record SignCase(CipherSuite suite, byte[] priv, byte[] pub, byte[] content, String label, byte[] signature) {
    SignatureScheme scheme() {
      return suite.signatureScheme();
    }

    boolean verifies(byte[] pub, String label, byte[] content, byte[] signature) {
      return LabeledSignatures.verifyWithLabel(scheme(), pub, label, content, signature);
    }

    @Override
    public String toString() {
      return suite.name();
    }
  }

  static Stream<RefHashCase> refHashCases() {
    return CASES.stream().map(c -> {
      Map<String, Object> v = TestVectors.object(c, "ref_hash");
      return new RefHashCase(TestVectors.suite(c), (String) v.get("label"), hex((String) v.get("value")),
          hex((String) v.get("out")));
    });
  }

  static Stream<SignCase> signCases() {
    return CASES.stream().map(c -> {
      Map<String, Object> v = TestVectors.object(c, "sign_with_label");
      return new SignCase(TestVectors.suite(c), hex((String) v.get("priv")), hex((String) v.get("pub")),
          hex((String) v.get("content")), (String) v.get("label"), hex((String) v.get("signature")));
    });
  }

  static Stream<SignCase> eddsaSignCases() {
    return signCases().filter(c -> c.scheme() == SignatureScheme.ED25519 || c.scheme() == SignatureScheme.ED448);
  }

  @Test
  void vectorsCoverAllSevenSuitesOnce() {
    TestVectors.assertOneCasePerSuite(CASES);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refHashCases")
  void refHashOfVectorValueIsVectorOutput(RefHashCase c) {
    assertArrayEquals(c.out(), HashReferences.refHash(c.suite(), c.label(), c.value()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("signCases")
  void vectorSignatureVerifiesUnderVectorPublicKey(SignCase c) {
    assertTrue(c.scheme().isValidPublicKey(c.pub()));
    assertTrue(c.verifies(c.pub(), c.label(), c.content(), c.signature()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("signCases")
  void signatureMadeWithVectorPrivateKeyVerifiesUnderVectorPublicKey(SignCase c) {
    byte[] ours = LabeledSignatures.signWithLabel(c.scheme(), c.priv(), c.label(), c.content());
    assertTrue(c.verifies(c.pub(), c.label(), c.content(), ours));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("signCases")
  void publicKeyOfVectorPrivateKeyIsVectorPublicKey(SignCase c) {
    assertArrayEquals(c.pub(), c.scheme().publicKeyOf(c.priv()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("eddsaSignCases")
  void eddsaSignatureEqualsVectorSignatureBecauseEddsaIsDeterministic(SignCase c) {
    assertArrayEquals(c.signature(), LabeledSignatures.signWithLabel(c.scheme(), c.priv(), c.label(), c.content()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("signCases")
  void flippedBitInContentFailsVerification(SignCase c) {
    for (int i = 0; i < c.content().length; i++) {
      byte[] content = TestBytes.flipBit(c.content(), i * 8 + i % 8);
      assertFalse(c.verifies(c.pub(), c.label(), content, c.signature()), "content byte " + i);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("signCases")
  void flippedBitInLabelFailsVerification(SignCase c) {
    byte[] label = c.label().getBytes(StandardCharsets.US_ASCII);
    for (int i = 0; i < label.length; i++) {
      // Low seven bits only, so the label stays ASCII and the change is the one under test.
      String flipped = new String(TestBytes.flipBit(label, i * 8 + i % 7), StandardCharsets.US_ASCII);
      assertFalse(c.verifies(c.pub(), flipped, c.content(), c.signature()), "label " + flipped);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("signCases")
  void flippedBitInSignatureFailsVerification(SignCase c) {
    for (int i = 0; i < c.signature().length; i++) {
      byte[] signature = TestBytes.flipBit(c.signature(), i * 8 + i % 8);
      assertFalse(c.verifies(c.pub(), c.label(), c.content(), signature), "signature byte " + i);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("signCases")
  void flippedBitInPublicKeyFailsVerification(SignCase c) {
    for (int i = 0; i < c.pub().length; i++) {
      byte[] pub = TestBytes.flipBit(c.pub(), i * 8 + i % 8);
      assertFalse(c.verifies(pub, c.label(), c.content(), c.signature()), "public key byte " + i);
    }
  }
}
