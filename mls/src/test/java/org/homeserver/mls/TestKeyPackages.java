package org.homeserver.mls;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.homeserver.mls.crypto.CipherSuite;
import org.homeserver.mls.crypto.LabeledSignatures;
import org.homeserver.mls.crypto.SignatureScheme;
import org.homeserver.mls.message.Capabilities;
import org.homeserver.mls.message.Credential;
import org.homeserver.mls.message.Extension;
import org.homeserver.mls.message.KeyPackage;
import org.homeserver.mls.message.LeafNode;
import org.homeserver.mls.message.MlsMessage;

/**
 * Real, signed KeyPackages for tests and benchmarks, as a client would publish them: they pass
 * {@code KeyPackageValidator} for their suite and lifetime. The HPKE init and encryption keys are
 * random bytes of the suite's KEM public key length, since a server never uses them.
 *
 * <pre>{@code
 * CipherSuite suite = CipherSuite.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;
 * SigningKey key = SigningKey.generate(suite.signatureScheme());
 * KeyPackage kp = TestKeyPackages.create(suite, TestKeyPackages.basic("alice"), key, clock.instant());
 * byte[] upload = TestKeyPackages.encodeAsMessage(kp);
 * KeyPackage second = TestKeyPackages.create(suite, "bob", clock.instant()); // fresh key, basic credential
 * }</pre>
 */
public final class TestKeyPackages {
  /** How long before "now" the lifetime of the short forms of {@code create} starts. */
  public static final Duration VALID_BEFORE = Duration.ofHours(1);
  /** How long after "now" the lifetime of the short forms of {@code create} ends. */
  public static final Duration VALID_AFTER = Duration.ofDays(90);

  private static final SecureRandom RANDOM = new SecureRandom();

  private TestKeyPackages() {}

  /** A signature key pair in MLS's raw encoding (see {@link SignatureScheme}). */
  public record SigningKey(SignatureScheme scheme, byte[] privateKey, byte[] publicKey) {
    /** A fresh key pair of {@code scheme}. */
    public static SigningKey generate(SignatureScheme scheme) {
      while (true) {
        byte[] privateKey = new byte[privateKeyLength(scheme)];
        RANDOM.nextBytes(privateKey);
        if (scheme == SignatureScheme.ECDSA_SECP521R1_SHA512) {
          privateKey[0] &= 0x01; // a P-521 scalar has 521 bits in its 66 bytes
        }
        try {
          return new SigningKey(scheme, privateKey, scheme.publicKeyOf(privateKey));
        } catch (IllegalArgumentException scalarOutOfRange) {
          // An ECDSA scalar of 0 or at least the group order; draw again.
        }
      }
    }

    /** SignWithLabel (RFC 9420 section 5.1.2) with this key. */
    public byte[] signWithLabel(String label, byte[] content) {
      return LabeledSignatures.signWithLabel(scheme, privateKey, label, content);
    }

    private static int privateKeyLength(SignatureScheme scheme) {
      return switch (scheme) {
        case ED25519, ECDSA_SECP256R1_SHA256 -> 32;
        case ED448 -> 57;
        case ECDSA_SECP384R1_SHA384 -> 48;
        case ECDSA_SECP521R1_SHA512 -> 66;
      };
    }
  }

  /**
   * A signed KeyPackage of {@code suite} valid from {@code notBefore} to {@code notAfter}, carrying
   * {@code extensions} in the KeyPackage (the leaf node has none). Its capabilities list mls10, the
   * suite, the credential's type and every non-default extension type present.
   *
   * @throws IllegalArgumentException if {@code key} is not of the suite's signature scheme
   */
  public static KeyPackage create(CipherSuite suite, Credential credential, SigningKey key, Instant notBefore,
      Instant notAfter, List<Extension> extensions) {
    if (key.scheme() != suite.signatureScheme()) {
      throw new IllegalArgumentException(suite + " signs with " + suite.signatureScheme() + ", not " + key.scheme());
    }
    byte[] initKey = randomHpkeKey(suite);
    byte[] encryptionKey;
    do {
      encryptionKey = randomHpkeKey(suite);
    } while (Arrays.equals(encryptionKey, initKey));
    Capabilities capabilities = new Capabilities(List.of(MlsMessage.MLS10), List.of(suite.code()),
        extensionTypes(extensions), List.of(), List.of(credential.type()));
    LeafNode leaf = new LeafNode(encryptionKey, key.publicKey(), credential, capabilities,
        new LeafNode.KeyPackageSource(notBefore.getEpochSecond(), notAfter.getEpochSecond()), List.of(), new byte[0]);
    return sign(new KeyPackage(MlsMessage.MLS10, suite.code(), initKey, leaf, List.copyOf(extensions), new byte[0]), key);
  }

  /**
   * A signed KeyPackage of {@code suite} for {@code credential}, valid from {@link #VALID_BEFORE}
   * before {@code now} to {@link #VALID_AFTER} after it, without extensions.
   */
  public static KeyPackage create(CipherSuite suite, Credential credential, SigningKey key, Instant now) {
    return create(suite, credential, key, now.minus(VALID_BEFORE), now.plus(VALID_AFTER), List.of());
  }

  /** As {@link #create(CipherSuite, Credential, SigningKey, Instant)}, with a fresh key and a basic credential. */
  public static KeyPackage create(CipherSuite suite, String identity, Instant now) {
    return create(suite, basic(identity), SigningKey.generate(suite.signatureScheme()), now);
  }

  /**
   * {@code keyPackage} with its leaf node and then itself signed afresh by {@code key} (LeafNodeTBS,
   * then KeyPackageTBS), so a test can change any field and still present valid signatures.
   */
  public static KeyPackage sign(KeyPackage keyPackage, SigningKey key) {
    LeafNode l = keyPackage.leafNode();
    byte[] leafSignature = key.signWithLabel("LeafNodeTBS", l.toBeSigned(new byte[0], 0));
    LeafNode leaf = new LeafNode(l.encryptionKey(), l.signatureKey(), l.credential(), l.capabilities(), l.source(),
        l.extensions(), leafSignature);
    KeyPackage unsigned = new KeyPackage(keyPackage.version(), keyPackage.cipherSuite(), keyPackage.initKey(), leaf,
        keyPackage.extensions(), new byte[0]);
    return new KeyPackage(keyPackage.version(), keyPackage.cipherSuite(), keyPackage.initKey(), leaf,
        keyPackage.extensions(), key.signWithLabel("KeyPackageTBS", unsigned.toBeSigned()));
  }

  /** A basic credential whose identity is {@code identity} in UTF-8. */
  public static Credential basic(String identity) {
    return new Credential.Basic(identity.getBytes(StandardCharsets.UTF_8));
  }

  /** The last_resort extension, which marks a KeyPackage that may be handed out more than once. */
  public static Extension lastResort() {
    return new Extension(Extension.LAST_RESORT, new byte[0]);
  }

  /** {@code keyPackage} as an MLSMessage, as clients upload it. */
  public static byte[] encodeAsMessage(KeyPackage keyPackage) {
    return new MlsMessage(MlsMessage.MLS10, new MlsMessage.KeyPackageBody(keyPackage)).toBytes();
  }

  // Default extension types need not be listed (RFC 9420 section 7.2); the others must be.
  private static List<Integer> extensionTypes(List<Extension> extensions) {
    return extensions.stream().map(Extension::type).filter(type -> !isDefault(type)).distinct().toList();
  }

  private static boolean isDefault(int type) {
    return Stream.of(Extension.APPLICATION_ID, Extension.RATCHET_TREE, Extension.REQUIRED_CAPABILITIES,
        Extension.EXTERNAL_PUB, Extension.EXTERNAL_SENDERS).anyMatch(d -> d == type);
  }

  private static byte[] randomHpkeKey(CipherSuite suite) {
    byte[] key = new byte[suite.hpkePublicKeyLength()];
    RANDOM.nextBytes(key);
    return key;
  }
}
