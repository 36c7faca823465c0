package org.homeserver.mls.validation;

import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.homeserver.mls.crypto.CipherSuite;
import org.homeserver.mls.crypto.LabeledSignatures;
import org.homeserver.mls.crypto.SignatureScheme;
import org.homeserver.mls.crypto.VerificationKey;
import org.homeserver.mls.message.Capabilities;
import org.homeserver.mls.message.Extension;
import org.homeserver.mls.message.KeyPackage;
import org.homeserver.mls.message.LeafNode;
import org.homeserver.mls.message.MlsMessage;

/**
 * Checks a decoded KeyPackage against RFC 9420 (sections 7.3 and 10.1) and the operator's policy:
 * the rules of {@link KeyPackageRule}, in that order, stopping at the first broken one.
 */
public final class KeyPackageValidator {
  /** Extension types every client supports without listing them (RFC 9420 section 7.2). */
  private static final Set<Integer> DEFAULT_EXTENSIONS = Set.of(Extension.APPLICATION_ID, Extension.RATCHET_TREE,
      Extension.REQUIRED_CAPABILITIES, Extension.EXTERNAL_PUB, Extension.EXTERNAL_SENDERS);

  /** Whether every client supports extension type {@code type} without listing it (section 7.2). */
  public static boolean isDefaultExtension(int type) {
    return DEFAULT_EXTENSIONS.contains(type);
  }

  private final Set<CipherSuite> allowedSuites;
  private final Duration lifetimeTolerance;
  private final Clock clock;

  /**
   * @param allowedSuites     the cipher suites the operator accepts
   * @param lifetimeTolerance how far a lifetime may be off, for clocks that differ
   */
  public KeyPackageValidator(Set<CipherSuite> allowedSuites, Duration lifetimeTolerance, Clock clock) {
    this.allowedSuites = Set.copyOf(allowedSuites);
    this.lifetimeTolerance = lifetimeTolerance;
    this.clock = clock;
  }

  /** Validates {@code keyPackage}; returns its cipher suite. */
  public CipherSuite validate(KeyPackage keyPackage) throws InvalidKeyPackageException {
    if (keyPackage.version() != MlsMessage.MLS10) {
      throw new InvalidKeyPackageException(KeyPackageRule.VERSION, "version " + keyPackage.version() + " is not mls10");
    }
    CipherSuite suite = CipherSuite.fromCode(keyPackage.cipherSuite())
        .filter(allowedSuites::contains)
        .orElseThrow(() -> new InvalidKeyPackageException(KeyPackageRule.CIPHER_SUITE,
            "cipher suite " + keyPackage.cipherSuite() + " is not one of the allowed " + allowedSuites));
    LeafNode leaf = keyPackage.leafNode();
    if (!(leaf.source() instanceof LeafNode.KeyPackageSource lifetime)) {
      throw new InvalidKeyPackageException(KeyPackageRule.LEAF_NODE_SOURCE,
          "the leaf node's source is " + leaf.source().code() + ", not key_package (1)");
    }
    checkLifetime(lifetime);
    if (Arrays.equals(keyPackage.initKey(), leaf.encryptionKey())) {
      throw new InvalidKeyPackageException(KeyPackageRule.INIT_KEY_REUSED, "init_key equals the leaf's encryption_key");
    }
    for (byte[] key : List.of(keyPackage.initKey(), leaf.encryptionKey())) {
      if (key.length != suite.hpkePublicKeyLength()) {
        throw new InvalidKeyPackageException(KeyPackageRule.HPKE_KEY, "an HPKE public key of " + suite
            + " has " + suite.hpkePublicKeyLength() + " bytes, not " + key.length);
      }
    }
    SignatureScheme scheme = suite.signatureScheme();
    VerificationKey key = scheme.publicKey(leaf.signatureKey()).orElseThrow(() ->
        new InvalidKeyPackageException(KeyPackageRule.SIGNATURE_KEY, "signature_key is not a valid " + scheme + " key"));
    checkCapabilities(keyPackage, suite);
    if (!LabeledSignatures.verifyWithLabel(key, "LeafNodeTBS", leaf.toBeSigned(new byte[0], 0), leaf.signature())) {
      throw new InvalidKeyPackageException(KeyPackageRule.LEAF_NODE_SIGNATURE, "the leaf node's signature does not verify");
    }
    if (!LabeledSignatures.verifyWithLabel(key, "KeyPackageTBS", keyPackage.toBeSigned(), keyPackage.signature())) {
      throw new InvalidKeyPackageException(KeyPackageRule.SIGNATURE, "the KeyPackage's signature does not verify");
    }
    return suite;
  }

  private void checkLifetime(LeafNode.KeyPackageSource lifetime) throws InvalidKeyPackageException {
    // Lifetimes are unsigned 64-bit seconds; now and the tolerance are far below 2^63.
    long now = clock.instant().getEpochSecond();
    long latestStart = now + lifetimeTolerance.toSeconds();
    long earliestEnd = Math.max(0, now - lifetimeTolerance.toSeconds());
    if (Long.compareUnsigned(lifetime.notBefore(), latestStart) > 0
        || Long.compareUnsigned(lifetime.notAfter(), earliestEnd) < 0) {
      throw new InvalidKeyPackageException(KeyPackageRule.LIFETIME, "valid from " + Long.toUnsignedString(lifetime.notBefore())
          + " to " + Long.toUnsignedString(lifetime.notAfter()) + " (seconds since 1970), but now is " + now);
    }
  }

  private static void checkCapabilities(KeyPackage keyPackage, CipherSuite suite) throws InvalidKeyPackageException {
    checkCapabilities(keyPackage.leafNode(), keyPackage.extensions(), suite);
  }

  /**
   * Section 7.2 for a leaf node on its own: its capabilities list mls10, {@code suite}, its own
   * credential type, and every extension it (or its KeyPackage, {@code more}) carries but the default ones.
   */
  public static void checkCapabilities(LeafNode leaf, List<Extension> more, CipherSuite suite)
      throws InvalidKeyPackageException {
    Capabilities capabilities = leaf.capabilities();
    if (!capabilities.versions().contains(MlsMessage.MLS10)) {
      throw capabilities("versions do not list mls10");
    }
    if (!capabilities.cipherSuites().contains(suite.code())) {
      throw capabilities("cipher_suites do not list the KeyPackage's suite " + suite.code());
    }
    if (!capabilities.credentials().contains(leaf.credential().type())) {
      throw capabilities("credentials do not list the credential type in use, " + leaf.credential().type());
    }
    Set<Integer> listed = new HashSet<>(capabilities.extensions());
    for (Extension e : Stream.concat(leaf.extensions().stream(), more.stream()).toList()) {
      if (!DEFAULT_EXTENSIONS.contains(e.type()) && !listed.contains(e.type())) {
        throw capabilities("extensions do not list extension type " + e.type() + ", which is present");
      }
    }
  }

  private static InvalidKeyPackageException capabilities(String detail) {
    return new InvalidKeyPackageException(KeyPackageRule.CAPABILITIES, "the leaf's capabilities " + detail);
  }
}
