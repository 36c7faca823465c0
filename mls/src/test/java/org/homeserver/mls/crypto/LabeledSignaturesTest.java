package org.homeserver.mls.crypto;

import static org.homeserver.mls.TestVectors.hex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The bytes SignWithLabel signs, and that the label binds a signature to its purpose. */
class LabeledSignaturesTest {
  private static final SignatureScheme SCHEME = SignatureScheme.ED25519;
  private static final byte[] CONTENT = {1, 2, 3};

  @Test
  void signContentIsPrefixedLabelThenContentEachWithItsLength() {
    byte[] label = "MLS 1.0 LeafNodeTBS".getBytes(StandardCharsets.US_ASCII);
    byte[] expected = TestBytes.concat(new byte[] {(byte) label.length}, label, hex("03010203"));
    assertArrayEquals(expected, LabeledSignatures.signContent("LeafNodeTBS", CONTENT));
  }

  @Test
  void signContentLengthOfLongContentIsATwoByteVarint() {
    byte[] content = new byte[100];
    byte[] signed = LabeledSignatures.signContent("X", content);
    byte[] label = "MLS 1.0 X".getBytes(StandardCharsets.US_ASCII);
    assertArrayEquals(TestBytes.concat(new byte[] {(byte) label.length}, label, hex("4064"), content), signed);
  }

  @Test
  void signatureMadeForOneLabelDoesNotVerifyForAnother() {
    byte[] key = SignatureSchemeTest.privateKey(SCHEME, 1);
    byte[] signature = LabeledSignatures.signWithLabel(SCHEME, key, "KeyPackageTBS", CONTENT);
    byte[] publicKey = SCHEME.publicKeyOf(key);
    assertTrue(LabeledSignatures.verifyWithLabel(SCHEME, publicKey, "KeyPackageTBS", CONTENT, signature));
    assertFalse(LabeledSignatures.verifyWithLabel(SCHEME, publicKey, "LeafNodeTBS", CONTENT, signature));
  }

  @Test
  void signatureOverTheBareContentDoesNotVerifyWithLabel() {
    byte[] key = SignatureSchemeTest.privateKey(SCHEME, 1);
    byte[] bare = SCHEME.sign(key, CONTENT);
    assertFalse(LabeledSignatures.verifyWithLabel(SCHEME, SCHEME.publicKeyOf(key), "KeyPackageTBS", CONTENT, bare));
  }
}
