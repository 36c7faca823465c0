package org.homeserver.mls.message;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.homeserver.mls.TestVectors;
import org.homeserver.mls.codec.MlsDecodeException;
import org.homeserver.mls.codec.MlsReader;
import org.homeserver.mls.crypto.CipherSuite;
import org.homeserver.mls.crypto.LabeledSignatures;
import org.homeserver.mls.validation.InvalidKeyPackageException;
import org.homeserver.mls.validation.KeyPackageValidator;
import org.junit.jupiter.api.Test;

/**
 * Signatures the server checks: every leaf of tree-validation.json (update and commit leaves bound
 * to their group and leaf index), and every KeyPackage of messages.json through full validation;
 * one flipped bit anywhere in a KeyPackage makes it fail.
 */
class SignaturesVectorTest {
  @Test
  void everyLeafSignatureOfTheTreeValidationVectorsVerifies() throws MlsDecodeException {
    int leaves = 0;
    for (Map<String, Object> c : TestVectors.load("tree-validation.json")) {
      CipherSuite suite = CipherSuite.fromCode(((Number) c.get("cipher_suite")).intValue()).orElseThrow();
      byte[] groupId = TestVectors.hex((String) c.get("group_id"));
      RatchetTree tree = MlsReader.decodeAll(TestVectors.hex((String) c.get("tree")), "tree", RatchetTree::decode);
      List<Optional<RatchetTree.Node>> nodes = tree.nodes();
      for (int node = 0; node < nodes.size(); node += 2) {
        if (nodes.get(node).orElse(null) instanceof RatchetTree.Leaf(LeafNode leaf)) {
          long leafIndex = node / 2;
          assertTrue(LabeledSignatures.verifyWithLabel(suite.signatureScheme(), leaf.signatureKey(), "LeafNodeTBS",
              leaf.toBeSigned(groupId, leafIndex), leaf.signature()), "suite " + suite + " leaf " + leafIndex);
          leaves++;
        }
      }
    }
    assertEquals(1127, leaves, "the number of leaves SOURCE.md counts");
  }

  /** A validator whose clock stands inside the KeyPackage's lifetime and that allows every suite. */
  private static KeyPackageValidator validatorFor(KeyPackage keyPackage) {
    long notBefore = ((LeafNode.KeyPackageSource) keyPackage.leafNode().source()).notBefore();
    Clock clock = Clock.fixed(Instant.ofEpochSecond(Math.max(0, notBefore)), ZoneOffset.UTC);
    return new KeyPackageValidator(EnumSet.allOf(CipherSuite.class), Duration.ZERO, clock);
  }

  private static List<KeyPackage> vectorKeyPackages() throws MlsDecodeException {
    List<KeyPackage> keyPackages = new java.util.ArrayList<>();
    for (Map<String, Object> c : TestVectors.load("messages.json")) {
      MlsMessage message = MlsMessage.decode(TestVectors.hex((String) c.get("mls_key_package")));
      keyPackages.add(((MlsMessage.KeyPackageBody) message.body()).keyPackage());
      keyPackages.add(MlsReader.decodeAll(TestVectors.hex((String) c.get("add_proposal")), "add", KeyPackage::decode));
    }
    return keyPackages;
  }

  @Test
  void everyKeyPackageOfTheMessagesVectorsValidates() throws Exception {
    List<KeyPackage> keyPackages = vectorKeyPackages();
    assertEquals(600, keyPackages.size());
    for (int i = 0; i < keyPackages.size(); i++) {
      try {
        validatorFor(keyPackages.get(i)).validate(keyPackages.get(i));
      } catch (InvalidKeyPackageException e) {
        fail("messages.json KeyPackage " + i + ": " + e.getMessage());
      }
    }
  }

  @Test
  void oneFlippedBitAnywhereInAKeyPackageMakesItFail() throws Exception {
    List<KeyPackage> keyPackages = vectorKeyPackages();
    // Two of each suite (1, 2, 3): the vectors cycle through them.
    for (KeyPackage keyPackage : keyPackages.subList(0, 12)) {
      KeyPackageValidator validator = validatorFor(keyPackage);
      byte[] bytes = keyPackage.toBytes();
      for (int bit = 0; bit < bytes.length * 8; bit++) {
        byte[] flipped = bytes.clone();
        flipped[bit / 8] ^= (byte) (1 << (bit % 8));
        try {
          KeyPackage mutated = MlsReader.decodeAll(flipped, "key_package", KeyPackage::decode);
          validator.validate(mutated);
          fail("suite " + keyPackage.cipherSuite() + ": bit " + bit + " flipped still validates");
        } catch (MlsDecodeException | InvalidKeyPackageException expected) {
          // Either is a refusal.
        }
      }
    }
  }
}
