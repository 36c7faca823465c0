package org.homeserver.mls.crypto;

import static org.homeserver.mls.TestVectors.hexField;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.homeserver.mls.TestVectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * ExpandWithLabel, DeriveSecret and DeriveTreeSecret (RFC 9420 sections 8 and 9.1) against every
 * suite of the working group's crypto-basics.json.
 */
class KeyDerivationVectorsTest {
  private static final List<Map<String, Object>> CASES = TestVectors.load("crypto-basics.json");

  record ExpandCase(CipherSuite suite, byte[] secret, String label, byte[] context, int length, byte[] out) {
    byte[] derive(byte[] secret, String label, byte[] context) {
      return KeyDerivation.expandWithLabel(suite, secret, label, context, length);
    }

    @Override
    public String toString() {
      return suite.name();
    }
  }

  record DeriveSecretCase(CipherSuite suite, byte[] secret, String label, byte[] out) {
    @Override
    public String toString() {
      return suite.name();
    }
  }

  record TreeSecretCase(CipherSuite suite, byte[] secret, String label, long generation, int length, byte[] out) {
    byte[] derive(long generation) {
      return KeyDerivation.deriveTreeSecret(suite, secret, label, generation, length);
    }

    @Override
    public String toString() {
      return suite.name();
    }
  }

  static Stream<ExpandCase> expandCases() {
    return CASES.stream().map(c -> {
      Map<String, Object> v = TestVectors.object(c, "expand_with_label");
      return new ExpandCase(TestVectors.suite(c), hexField(v, "secret"), (String) v.get("label"),
          hexField(v, "context"), ((Number) v.get("length")).intValue(), hexField(v, "out"));
    });
  }

  static Stream<DeriveSecretCase> deriveSecretCases() {
    return CASES.stream().map(c -> {
      Map<String, Object> v = TestVectors.object(c, "derive_secret");
      return new DeriveSecretCase(TestVectors.suite(c), hexField(v, "secret"), (String) v.get("label"),
          hexField(v, "out"));
    });
  }

  static Stream<TreeSecretCase> treeSecretCases() {
    return CASES.stream().map(c -> {
      Map<String, Object> v = TestVectors.object(c, "derive_tree_secret");
      return new TreeSecretCase(TestVectors.suite(c), hexField(v, "secret"), (String) v.get("label"),
          ((Number) v.get("generation")).longValue(), ((Number) v.get("length")).intValue(), hexField(v, "out"));
    });
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("expandCases")
  void expandWithLabelOfVectorInputsIsVectorOutput(ExpandCase c) {
    assertArrayEquals(c.out(), c.derive(c.secret(), c.label(), c.context()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("deriveSecretCases")
  void deriveSecretOfVectorInputsIsVectorOutputOfHashLength(DeriveSecretCase c) {
    byte[] out = KeyDerivation.deriveSecret(c.suite(), c.secret(), c.label());
    assertEquals(c.suite().hashLength(), out.length);
    assertArrayEquals(c.out(), out);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("treeSecretCases")
  void deriveTreeSecretOfVectorInputsIsVectorOutput(TreeSecretCase c) {
    assertArrayEquals(c.out(), c.derive(c.generation()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("expandCases")
  void flippedBitInSecretChangesTheOutput(ExpandCase c) {
    for (int i = 0; i < c.secret().length; i++) {
      byte[] secret = TestBytes.flipBit(c.secret(), i * 8 + i % 8);
      assertFalse(Arrays.equals(c.out(), c.derive(secret, c.label(), c.context())), "secret byte " + i);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("expandCases")
  void flippedBitInContextChangesTheOutput(ExpandCase c) {
    for (int i = 0; i < c.context().length; i++) {
      byte[] context = TestBytes.flipBit(c.context(), i * 8 + i % 8);
      assertFalse(Arrays.equals(c.out(), c.derive(c.secret(), c.label(), context)), "context byte " + i);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("expandCases")
  void anotherLabelChangesTheOutput(ExpandCase c) {
    assertFalse(Arrays.equals(c.out(), c.derive(c.secret(), c.label() + "x", c.context())));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("treeSecretCases")
  void flippedBitInGenerationChangesTheTreeSecret(TreeSecretCase c) {
    for (int bit = 0; bit < 32; bit++) {
      assertFalse(Arrays.equals(c.out(), c.derive(c.generation() ^ 1L << bit)), "generation bit " + bit);
    }
  }
}
