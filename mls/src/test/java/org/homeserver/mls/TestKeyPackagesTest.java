package org.homeserver.mls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import org.homeserver.mls.TestKeyPackages.SigningKey;
import org.homeserver.mls.codec.MlsDecodeException;
import org.homeserver.mls.codec.MlsReader;
import org.homeserver.mls.crypto.CipherSuite;
import org.homeserver.mls.crypto.SignatureScheme;
import org.homeserver.mls.message.Extension;
import org.homeserver.mls.message.KeyPackage;
import org.homeserver.mls.message.LeafNode;
import org.homeserver.mls.message.MlsMessage;
import org.homeserver.mls.validation.InvalidKeyPackageException;
import org.homeserver.mls.validation.KeyPackageRule;
import org.homeserver.mls.validation.KeyPackageValidator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/** The KeyPackages other tests and the benchmarks build are real: valid, exact on the wire, and tamper-evident. */
class TestKeyPackagesTest {
  private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
  private static final KeyPackageValidator VALIDATOR =
      new KeyPackageValidator(EnumSet.allOf(CipherSuite.class), Duration.ZERO, Clock.fixed(NOW, ZoneOffset.UTC));

  static List<CipherSuite> ed25519P256AndP384() {
    return List.of(CipherSuite.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519,
        CipherSuite.MLS_128_DHKEMP256_AES128GCM_SHA256_P256, CipherSuite.MLS_256_DHKEMP384_AES256GCM_SHA384_P384);
  }

  @ParameterizedTest
  @MethodSource("ed25519P256AndP384")
  void createdKeyPackagesPassValidation(CipherSuite suite) throws InvalidKeyPackageException {
    KeyPackage keyPackage = TestKeyPackages.create(suite, "alice", NOW);

    assertEquals(suite, VALIDATOR.validate(keyPackage));
  }

  @ParameterizedTest
  @MethodSource("ed25519P256AndP384")
  void createdKeyPackagesRoundTripThroughAnMlsMessageAndStillValidate(CipherSuite suite) throws Exception {
    KeyPackage created = TestKeyPackages.create(suite, "alice", NOW);
    byte[] wire = TestKeyPackages.encodeAsMessage(created);

    MlsMessage decoded = MlsMessage.decode(wire);

    KeyPackage keyPackage = assertInstanceOf(MlsMessage.KeyPackageBody.class, decoded.body()).keyPackage();
    assertArrayEquals(wire, decoded.toBytes());
    assertArrayEquals(created.toBytes(), keyPackage.toBytes());
    assertEquals(suite, VALIDATOR.validate(keyPackage));
  }

  @ParameterizedTest
  @MethodSource("ed25519P256AndP384")
  void aFlippedBitInAnyByteMakesTheKeyPackageFail(CipherSuite suite) {
    byte[] bytes = TestKeyPackages.create(suite, "alice", NOW).toBytes();
    for (int i = 0; i < bytes.length; i++) {
      byte[] tampered = bytes.clone();
      tampered[i] ^= (byte) (1 << (i % 8));
      try {
        KeyPackage keyPackage = MlsReader.decodeAll(tampered, "key_package", KeyPackage::decode);
        VALIDATOR.validate(keyPackage);
        fail(suite + ": the KeyPackage with bit " + (i % 8) + " of byte " + i + " flipped still validates");
      } catch (MlsDecodeException | InvalidKeyPackageException expected) {
        // Either refusal is right; which one depends on the byte.
      }
    }
  }

  @Test
  void aChangedFieldBreaksTheSignaturesUntilSignedAgain() throws InvalidKeyPackageException {
    SigningKey key = SigningKey.generate(SignatureScheme.ED25519);
    KeyPackage original = TestKeyPackages.create(CipherSuite.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519,
        TestKeyPackages.basic("alice"), key, NOW);
    LeafNode leaf = original.leafNode();
    LeafNode renamed = new LeafNode(leaf.encryptionKey(), leaf.signatureKey(), TestKeyPackages.basic("mallory"),
        leaf.capabilities(), leaf.source(), leaf.extensions(), leaf.signature());
    KeyPackage changed = new KeyPackage(original.version(), original.cipherSuite(), original.initKey(), renamed,
        original.extensions(), original.signature());

    InvalidKeyPackageException refused = assertThrows(InvalidKeyPackageException.class, () -> VALIDATOR.validate(changed));

    assertEquals(KeyPackageRule.LEAF_NODE_SIGNATURE, refused.rule());
    VALIDATOR.validate(TestKeyPackages.sign(changed, key));
  }

  @Test
  void aKeyPackageOutsideItsLifetimeFailsOnTheLifetimeRule() {
    CipherSuite suite = CipherSuite.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;
    KeyPackage expired = TestKeyPackages.create(suite, TestKeyPackages.basic("alice"),
        SigningKey.generate(suite.signatureScheme()), NOW.minus(Duration.ofDays(2)), NOW.minus(Duration.ofDays(1)),
        List.of());

    InvalidKeyPackageException refused = assertThrows(InvalidKeyPackageException.class, () -> VALIDATOR.validate(expired));

    assertEquals(KeyPackageRule.LIFETIME, refused.rule());
  }

  @Test
  void extensionsGoIntoTheKeyPackageAndItsCapabilities() throws InvalidKeyPackageException {
    CipherSuite suite = CipherSuite.MLS_128_DHKEMP256_AES128GCM_SHA256_P256;
    KeyPackage lastResort = TestKeyPackages.create(suite, TestKeyPackages.basic("alice"),
        SigningKey.generate(suite.signatureScheme()), NOW, NOW.plus(Duration.ofDays(30)),
        List.of(TestKeyPackages.lastResort()));

    assertEquals(List.of(Extension.LAST_RESORT), lastResort.extensions().stream().map(Extension::type).toList());
    assertEquals(List.of(Extension.LAST_RESORT), lastResort.leafNode().capabilities().extensions());
    assertEquals(suite, VALIDATOR.validate(lastResort));
  }

  @Test
  void initAndEncryptionKeysAreDistinctKeysOfTheSuitesKemLength() {
    for (CipherSuite suite : CipherSuite.values()) {
      KeyPackage keyPackage = TestKeyPackages.create(suite, "alice", NOW);

      assertEquals(suite.hpkePublicKeyLength(), keyPackage.initKey().length, suite.toString());
      assertEquals(suite.hpkePublicKeyLength(), keyPackage.leafNode().encryptionKey().length, suite.toString());
      assertFalse(Arrays.equals(keyPackage.initKey(), keyPackage.leafNode().encryptionKey()), suite.toString());
    }
  }

  @ParameterizedTest
  @EnumSource(SignatureScheme.class)
  void generatedKeysAreFreshValidKeysOfTheirScheme(SignatureScheme scheme) {
    SigningKey first = SigningKey.generate(scheme);
    SigningKey second = SigningKey.generate(scheme);

    assertTrue(scheme.isValidPublicKey(first.publicKey()));
    assertArrayEquals(first.publicKey(), scheme.publicKeyOf(first.privateKey()));
    assertFalse(Arrays.equals(first.privateKey(), second.privateKey()));
  }

  @Test
  void aKeyOfAnotherSchemeThanTheSuitesIsRefused() {
    SigningKey p256 = SigningKey.generate(SignatureScheme.ECDSA_SECP256R1_SHA256);

    assertThrows(IllegalArgumentException.class, () -> TestKeyPackages.create(
        CipherSuite.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519, TestKeyPackages.basic("alice"), p256, NOW));
  }
}
