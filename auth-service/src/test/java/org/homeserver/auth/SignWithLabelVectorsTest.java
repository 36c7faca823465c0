package org.homeserver.auth;

import static org.homeserver.auth.MlsTestVectors.hex;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Map;
import org.homeserver.api.common.v1.SignatureScheme;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** RFC 9420 SignWithLabel against the MLS working group's crypto-basics vectors, suites 1 and 2. */
class SignWithLabelVectorsTest {

  @ParameterizedTest
  @CsvSource({"1, ED25519", "2, ECDSA_SECP256R1_SHA256"})
  void workingGroupSignatureVerifies(int suite, SignatureScheme scheme) throws Exception {
    Map<String, Object> vector = signWithLabel(suite);
    SignatureKey key = SignatureKey.of(scheme, hex(vector, "pub"));

    assertTrue(key.verifyWithLabel((String) vector.get("label"), hex(vector, "content"), hex(vector, "signature")));
  }

  @ParameterizedTest
  @CsvSource({"1, ED25519", "2, ECDSA_SECP256R1_SHA256"})
  void workingGroupSignatureDoesNotVerifyForOtherContentOrLabel(int suite, SignatureScheme scheme) throws Exception {
    Map<String, Object> vector = signWithLabel(suite);
    SignatureKey key = SignatureKey.of(scheme, hex(vector, "pub"));
    byte[] content = hex(vector, "content");
    byte[] otherContent = content.clone();
    otherContent[0] ^= 1;

    assertFalse(key.verifyWithLabel((String) vector.get("label"), otherContent, hex(vector, "signature")));
    assertFalse(key.verifyWithLabel("SignWithLabeL", content, hex(vector, "signature")));
  }

  @ParameterizedTest
  @CsvSource({"1, ED25519", "2, ECDSA_SECP256R1_SHA256"})
  void testSignerWithTheVectorPrivateKeyMakesSignaturesTheVectorKeyAccepts(int suite, SignatureScheme scheme)
      throws Exception {
    Map<String, Object> vector = signWithLabel(suite);
    var signer = TestSigningKey.fromPrivate(scheme, hex(vector, "priv"));
    SignatureKey key = SignatureKey.of(scheme, hex(vector, "pub"));

    assertEquals(key, signer.signatureKey());
    byte[] signature = signer.signWithLabel((String) vector.get("label"), hex(vector, "content"));
    assertTrue(key.verifyWithLabel((String) vector.get("label"), hex(vector, "content"), signature));
    if (scheme == SignatureScheme.ED25519) {
      // Ed25519 is deterministic: the same key, label and content give the vector's very bytes.
      assertTrue(Arrays.equals(hex(vector, "signature"), signature));
    }
  }

  private static Map<String, Object> signWithLabel(int suite) {
    return MlsTestVectors.cases("crypto-basics.json").stream()
        .filter(c -> ((Number) c.get("cipher_suite")).intValue() == suite)
        .map(c -> MlsTestVectors.object(c, "sign_with_label"))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no suite " + suite + " in crypto-basics.json"));
  }
}
