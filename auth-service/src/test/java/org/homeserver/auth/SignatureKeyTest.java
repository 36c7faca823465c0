package org.homeserver.auth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.homeserver.api.common.v1.SignatureScheme.ECDSA_SECP256R1_SHA256;
import static org.homeserver.api.common.v1.SignatureScheme.ED25519;

import java.security.Signature;
import java.util.Arrays;
import java.util.HexFormat;
import org.homeserver.api.common.v1.SignatureScheme;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class SignatureKeyTest {
  private static final byte[] CONTENT = SignContent.registration("mimi://example.org/u/alice", new byte[] {1, 2, 3});

  @ParameterizedTest
  @EnumSource(value = SignatureScheme.class, names = {"ED25519", "ECDSA_SECP256R1_SHA256"})
  void signatureWithLabelVerifies(SignatureScheme scheme) {
    var signer = TestSigningKey.generate(scheme);

    byte[] signature = signer.signWithLabel(SignContent.REGISTRATION_LABEL, CONTENT);

    assertTrue(signer.signatureKey().verifyWithLabel(SignContent.REGISTRATION_LABEL, CONTENT, signature));
  }

  @ParameterizedTest
  @EnumSource(value = SignatureScheme.class, names = {"ED25519", "ECDSA_SECP256R1_SHA256"})
  void signatureUnderAnotherLabelDoesNotVerify(SignatureScheme scheme) {
    var signer = TestSigningKey.generate(scheme);

    byte[] signature = signer.signWithLabel(SignContent.SESSION_LABEL, CONTENT);

    assertFalse(signer.signatureKey().verifyWithLabel(SignContent.REGISTRATION_LABEL, CONTENT, signature));
  }

  @ParameterizedTest
  @EnumSource(value = SignatureScheme.class, names = {"ED25519", "ECDSA_SECP256R1_SHA256"})
  void signatureOverOtherContentDoesNotVerify(SignatureScheme scheme) {
    var signer = TestSigningKey.generate(scheme);
    byte[] other = SignContent.registration("mimi://example.org/u/mallory", new byte[] {1, 2, 3});

    byte[] signature = signer.signWithLabel(SignContent.REGISTRATION_LABEL, other);

    assertFalse(signer.signatureKey().verifyWithLabel(SignContent.REGISTRATION_LABEL, CONTENT, signature));
  }

  @ParameterizedTest
  @EnumSource(value = SignatureScheme.class, names = {"ED25519", "ECDSA_SECP256R1_SHA256"})
  void signatureByAnotherKeyDoesNotVerify(SignatureScheme scheme) {
    byte[] signature = TestSigningKey.generate(scheme).signWithLabel(SignContent.REGISTRATION_LABEL, CONTENT);

    assertFalse(TestSigningKey.generate(scheme).signatureKey()
        .verifyWithLabel(SignContent.REGISTRATION_LABEL, CONTENT, signature));
  }

  @ParameterizedTest
  @EnumSource(value = SignatureScheme.class, names = {"ED25519", "ECDSA_SECP256R1_SHA256"})
  void malformedSignaturesAreFalseNotErrors(SignatureScheme scheme) {
    var signer = TestSigningKey.generate(scheme);
    SignatureKey key = signer.signatureKey();
    byte[] good = signer.signWithLabel(SignContent.SESSION_LABEL, CONTENT);
    byte[] trailing = Arrays.copyOf(good, good.length + 1);
    byte[] truncated = Arrays.copyOf(good, good.length - 1);
    byte[] derGarbage = HexFormat.of().parseHex("3006020100020100");
    byte[] zeros = new byte[64];
    byte[] bitFlipped = good.clone();
    bitFlipped[bitFlipped.length - 1] ^= 1;

    for (byte[] bad : new byte[][] {new byte[0], new byte[1], trailing, truncated, derGarbage, zeros, bitFlipped}) {
      assertFalse(key.verifyWithLabel(SignContent.SESSION_LABEL, CONTENT, bad), HexFormat.of().formatHex(bad));
    }
  }

  @Test
  void ed25519KeyVerifiesWithTheJdkAsTheSameSignatures() throws Exception {
    var signer = TestSigningKey.generate(ED25519);
    byte[] signature = signer.signWithLabel(SignContent.SESSION_LABEL, CONTENT);

    var jdk = Signature.getInstance("Ed25519");
    jdk.initVerify(signer.signatureKey().toPublicKey());
    jdk.update(SignContent.withLabel(SignContent.SESSION_LABEL, CONTENT));
    assertTrue(jdk.verify(signature));
  }

  @Test
  void p256KeyVerifiesWithTheJdkAsTheSameSignatures() throws Exception {
    var signer = TestSigningKey.generate(ECDSA_SECP256R1_SHA256);
    byte[] signature = signer.signWithLabel(SignContent.SESSION_LABEL, CONTENT);

    var jdk = Signature.getInstance("SHA256withECDSA");
    jdk.initVerify(signer.signatureKey().toPublicKey());
    jdk.update(SignContent.withLabel(SignContent.SESSION_LABEL, CONTENT));
    assertTrue(jdk.verify(signature));
  }

  @Test
  void ed25519KeyOfTheWrongLengthIsRejected() {
    var wrong = assertThrows(InvalidSignatureKeyException.class, () -> SignatureKey.of(ED25519, new byte[31]));
    assertTrue(wrong.getMessage().contains("32 bytes, not 31"), wrong.getMessage());
    assertThrows(InvalidSignatureKeyException.class, () -> SignatureKey.of(ED25519, new byte[33]));
  }

  @Test
  void ed25519IdentitySmallOrderAndNonCanonicalKeysAreRejected() {
    byte[] identity = new byte[32];
    identity[0] = 1;
    byte[] orderFour = new byte[32];
    byte[] notCanonical = new byte[32];
    Arrays.fill(notCanonical, (byte) 0xff);
    notCanonical[31] = 0x7f;

    for (byte[] key : new byte[][] {identity, orderFour, notCanonical}) {
      var bad = assertThrows(InvalidSignatureKeyException.class, () -> SignatureKey.of(ED25519, key));
      assertTrue(bad.getMessage().contains("not a valid Ed25519 public key"), bad.getMessage());
    }
  }

  @Test
  void p256KeyThatIsNotUncompressedIsRejected() {
    byte[] valid = TestSigningKey.generate(ECDSA_SECP256R1_SHA256).signatureKey().publicKey();
    byte[] compressed = Arrays.copyOf(valid, 33);
    compressed[0] = 0x02;
    byte[] wrongPrefix = valid.clone();
    wrongPrefix[0] = 0x05;

    for (byte[] key : new byte[][] {compressed, wrongPrefix, Arrays.copyOf(valid, 64), Arrays.copyOf(valid, 66)}) {
      var bad = assertThrows(InvalidSignatureKeyException.class, () -> SignatureKey.of(ECDSA_SECP256R1_SHA256, key));
      assertTrue(bad.getMessage().contains("65-byte uncompressed SEC1 point"), bad.getMessage());
    }
  }

  @Test
  void p256PointOffTheCurveIsRejected() {
    byte[] offCurve = TestSigningKey.generate(ECDSA_SECP256R1_SHA256).signatureKey().publicKey();
    offCurve[64] ^= 1;
    byte[] outsideTheField = new byte[65];
    Arrays.fill(outsideTheField, (byte) 0xff);
    outsideTheField[0] = 0x04;
    byte[] zeros = new byte[65];
    zeros[0] = 0x04;

    for (byte[] key : new byte[][] {offCurve, outsideTheField, zeros}) {
      var bad = assertThrows(InvalidSignatureKeyException.class, () -> SignatureKey.of(ECDSA_SECP256R1_SHA256, key));
      assertEquals("the P-256 key is not a point on the curve", bad.getMessage());
    }
  }

  @Test
  void unsupportedSchemesAreRejected() {
    byte[] ed25519Key = TestSigningKey.generate(ED25519).signatureKey().publicKey();

    for (SignatureScheme scheme : new SignatureScheme[] {SignatureScheme.SIGNATURE_SCHEME_UNSPECIFIED,
        SignatureScheme.UNRECOGNIZED}) {
      var bad = assertThrows(InvalidSignatureKeyException.class, () -> SignatureKey.of(scheme, ed25519Key));
      assertTrue(bad.getMessage().contains("not supported"), bad.getMessage());
    }
    assertThrows(InvalidSignatureKeyException.class, () -> SignatureKey.of(null, ed25519Key));
  }

  @Test
  void constructingAnInvalidKeyDirectlyIsAProgrammingError() {
    assertThrows(IllegalArgumentException.class, () -> new SignatureKey(ED25519, new byte[31]));
  }

  @Test
  void keysAreValuesThatTheirCallersCannotChange() throws Exception {
    byte[] raw = TestSigningKey.generate(ED25519).signatureKey().publicKey();
    byte[] original = raw.clone();
    SignatureKey key = SignatureKey.of(ED25519, raw);

    raw[0] ^= 1;
    key.publicKey()[1] ^= 1;

    assertArrayEquals(original, key.publicKey());
    assertEquals(SignatureKey.of(ED25519, original), key);
    assertEquals(SignatureKey.of(ED25519, original).hashCode(), key.hashCode());
    assertNotEquals(TestSigningKey.generate(ED25519).signatureKey(), key);
  }
}
