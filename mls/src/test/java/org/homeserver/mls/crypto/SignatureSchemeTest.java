package org.homeserver.mls.crypto;

import static org.homeserver.mls.TestVectors.hex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Key validation, signing and the refusal of malformed keys and signatures, per signature scheme. */
class SignatureSchemeTest {
  private static final byte[] MESSAGE = "a message to sign".getBytes(StandardCharsets.UTF_8);
  private static final Map<SignatureScheme, Integer> PRIVATE_KEY_LENGTHS = Map.of(
      SignatureScheme.ED25519, 32, SignatureScheme.ED448, 57, SignatureScheme.ECDSA_SECP256R1_SHA256, 32,
      SignatureScheme.ECDSA_SECP384R1_SHA384, 48, SignatureScheme.ECDSA_SECP521R1_SHA512, 66);

  @Test
  void fromCodeFindsEachSchemeByItsIanaCodePoint() {
    assertEquals(Optional.of(SignatureScheme.ECDSA_SECP256R1_SHA256), SignatureScheme.fromCode(0x0403));
    assertEquals(Optional.of(SignatureScheme.ECDSA_SECP384R1_SHA384), SignatureScheme.fromCode(0x0503));
    assertEquals(Optional.of(SignatureScheme.ECDSA_SECP521R1_SHA512), SignatureScheme.fromCode(0x0603));
    assertEquals(Optional.of(SignatureScheme.ED25519), SignatureScheme.fromCode(0x0807));
    assertEquals(Optional.of(SignatureScheme.ED448), SignatureScheme.fromCode(0x0808));
    for (SignatureScheme scheme : SignatureScheme.values()) {
      assertEquals(Optional.of(scheme), SignatureScheme.fromCode(scheme.code()));
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 0x0401, 0x0804, 0x0809, 0x0403_0000, -1})
  void fromCodeFindsNothingForSchemesMlsDoesNotUse(int code) {
    assertEquals(Optional.empty(), SignatureScheme.fromCode(code));
  }

  @ParameterizedTest
  @EnumSource(SignatureScheme.class)
  void signatureVerifiesUnderItsOwnKeyOnlyAndOverItsOwnMessageOnly(SignatureScheme scheme) {
    byte[] signature = scheme.sign(privateKey(scheme, 1), MESSAGE);
    assertTrue(scheme.verify(publicKey(scheme, 1), MESSAGE, signature));
    assertFalse(scheme.verify(publicKey(scheme, 2), MESSAGE, signature));
    assertFalse(scheme.verify(publicKey(scheme, 1), Arrays.copyOf(MESSAGE, MESSAGE.length - 1), signature));
  }

  @ParameterizedTest
  @EnumSource(SignatureScheme.class)
  void signingTwiceGivesTheSameSignature(SignatureScheme scheme) {
    assertArrayEquals(scheme.sign(privateKey(scheme, 1), MESSAGE), scheme.sign(privateKey(scheme, 1), MESSAGE));
  }

  @Test
  void p256SigningFollowsRfc6979() {
    // RFC 6979 appendix A.2.5: P-256, SHA-256, message "sample".
    byte[] key = hex("c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721");
    byte[] signature = SignatureScheme.ECDSA_SECP256R1_SHA256.sign(key, "sample".getBytes(StandardCharsets.US_ASCII));
    assertArrayEquals(hex("3046"
        + "022100efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716"
        + "022100f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8"), signature);
    assertArrayEquals(hex("04"
        + "60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6"
        + "7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299"),
        SignatureScheme.ECDSA_SECP256R1_SHA256.publicKeyOf(key));
  }

  @ParameterizedTest
  @EnumSource(SignatureScheme.class)
  void publicKeysOfTheWrongLengthAreInvalid(SignatureScheme scheme) {
    byte[] key = publicKey(scheme, 1);
    byte[] signature = scheme.sign(privateKey(scheme, 1), MESSAGE);
    for (byte[] bad : List.of(new byte[0], Arrays.copyOf(key, key.length - 1), Arrays.copyOf(key, key.length + 1))) {
      assertFalse(scheme.isValidPublicKey(bad), bad.length + " bytes");
      assertFalse(scheme.verify(bad, MESSAGE, signature), bad.length + " bytes");
    }
  }

  @ParameterizedTest
  @EnumSource(value = SignatureScheme.class, names = "ECDSA_.*", mode = EnumSource.Mode.MATCH_ANY)
  void ecdsaPointOffTheCurveIsInvalid(SignatureScheme scheme) {
    byte[] key = publicKey(scheme, 1);
    key[key.length - 1] ^= 1;
    assertInvalid(scheme, key);
  }

  @ParameterizedTest
  @EnumSource(value = SignatureScheme.class, names = "ECDSA_.*", mode = EnumSource.Mode.MATCH_ANY)
  void ecdsaPointAtInfinityIsInvalid(SignatureScheme scheme) {
    assertInvalid(scheme, new byte[] {0x00});
    byte[] zeros = new byte[publicKey(scheme, 1).length];
    zeros[0] = 0x04;
    assertInvalid(scheme, zeros);
  }

  @ParameterizedTest
  @EnumSource(value = SignatureScheme.class, names = "ECDSA_.*", mode = EnumSource.Mode.MATCH_ANY)
  void ecdsaCompressedPointIsInvalidEvenWhenItIsOnTheCurve(SignatureScheme scheme) {
    byte[] key = publicKey(scheme, 1);
    int coordinate = (key.length - 1) / 2;
    byte[] compressed = Arrays.copyOf(key, 1 + coordinate);
    compressed[0] = (byte) (0x02 | key[key.length - 1] & 1);
    assertInvalid(scheme, compressed);
    byte[] relabelled = key.clone();
    relabelled[0] = compressed[0];
    assertInvalid(scheme, relabelled);
  }

  @ParameterizedTest
  @EnumSource(value = SignatureScheme.class, names = "ECDSA_.*", mode = EnumSource.Mode.MATCH_ANY)
  void ecdsaCoordinatesBeyondTheFieldAreInvalid(SignatureScheme scheme) {
    byte[] key = new byte[publicKey(scheme, 1).length];
    Arrays.fill(key, (byte) 0xff);
    key[0] = 0x04;
    assertInvalid(scheme, key);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "0100000000000000000000000000000000000000000000000000000000000000", // the identity
      "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // (0, -1), order 2
      "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a", // order 8
      "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // the identity, y = p + 1
  })
  void ed25519SmallOrderAndNonCanonicalKeysAreInvalid(String key) {
    assertInvalid(SignatureScheme.ED25519, hex(key));
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "01000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
      "fefffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffffffffffffffffffffffffffffffffffffffffffffffffff00",
  })
  void ed448SmallOrderKeysAreInvalid(String key) {
    assertInvalid(SignatureScheme.ED448, hex(key));
  }

  @ParameterizedTest
  @EnumSource(value = SignatureScheme.class, names = {"ED25519", "ED448"})
  void eddsaKeyWithASmallOrderComponentIsInvalid(SignatureScheme scheme) {
    // A + (0, -1) = (-x, -y) on both curves: a point on the curve, but not in the prime-order group.
    byte[] key = publicKey(scheme, 1);
    BigInteger p = scheme == SignatureScheme.ED25519
        ? BigInteger.TWO.pow(255).subtract(BigInteger.valueOf(19))
        : BigInteger.TWO.pow(448).subtract(BigInteger.TWO.pow(224)).subtract(BigInteger.ONE);
    int signByte = key.length - 1;
    byte[] yBytes = key.clone();
    yBytes[signByte] &= 0x7f;
    BigInteger y = new BigInteger(1, reversed(yBytes));
    byte[] mixed = littleEndian(p.subtract(y), key.length);
    mixed[signByte] |= (byte) (~key[signByte] & 0x80);
    assertInvalid(scheme, mixed);
  }

  @ParameterizedTest
  @EnumSource(SignatureScheme.class)
  void malformedSignaturesAreFalseNotExceptions(SignatureScheme scheme) {
    byte[] key = publicKey(scheme, 1);
    byte[] good = scheme.sign(privateKey(scheme, 1), MESSAGE);
    byte[] garbage = new byte[good.length];
    Arrays.fill(garbage, (byte) 0xab);
    List<byte[]> malformed = List.of(
        new byte[0],
        new byte[] {0x30},
        Arrays.copyOf(good, good.length - 1),
        Arrays.copyOf(good, good.length + 1),
        new byte[good.length],
        garbage,
        hex("3006020100020100"), // r = s = 0
        hex("300402010102"));
    for (byte[] signature : malformed) {
      assertFalse(scheme.verify(key, MESSAGE, signature), Arrays.toString(signature));
    }
  }

  @ParameterizedTest
  @EnumSource(value = SignatureScheme.class, names = "ECDSA_.*", mode = EnumSource.Mode.MATCH_ANY)
  void ecdsaSignatureInNonCanonicalDerIsFalse(SignatureScheme scheme) {
    byte[] key = publicKey(scheme, 1);
    BigInteger[] rs = derIntegers(scheme.sign(privateKey(scheme, 1), MESSAGE));
    byte[] r = integer(rs[0].toByteArray());
    byte[] s = integer(rs[1].toByteArray());
    assertTrue(scheme.verify(key, MESSAGE, sequence(r, s)), "the re-encoding itself is canonical");
    byte[] paddedR = integer(TestBytes.concat(new byte[] {0}, rs[0].toByteArray()));
    assertFalse(scheme.verify(key, MESSAGE, sequence(paddedR, s)), "an integer with a redundant leading zero");
    byte[] body = TestBytes.concat(r, s);
    byte[] longFormLength = TestBytes.concat(new byte[] {0x30, (byte) 0x82, 0, (byte) body.length}, body);
    assertFalse(scheme.verify(key, MESSAGE, longFormLength), "a length in a longer form than needed");
    byte[] indefinite = TestBytes.concat(new byte[] {0x30, (byte) 0x80}, body, new byte[2]);
    assertFalse(scheme.verify(key, MESSAGE, indefinite), "BER indefinite length");
  }

  @Test
  void ed25519SignatureWithNonCanonicalScalarIsFalse() {
    // S + L verifies under a lax check of the equation, but RFC 8032 requires S < L.
    BigInteger order = BigInteger.TWO.pow(252).add(new BigInteger("27742317777372353535851937790883648493"));
    byte[] signature = SignatureScheme.ED25519.sign(privateKey(SignatureScheme.ED25519, 1), MESSAGE);
    BigInteger s = new BigInteger(1, reversed(Arrays.copyOfRange(signature, 32, 64)));
    byte[] malleated = TestBytes.concat(Arrays.copyOf(signature, 32), littleEndian(s.add(order), 32));
    assertFalse(SignatureScheme.ED25519.verify(publicKey(SignatureScheme.ED25519, 1), MESSAGE, malleated));
  }

  @ParameterizedTest
  @EnumSource(SignatureScheme.class)
  void signingWithAPrivateKeyOfTheWrongLengthIsRefused(SignatureScheme scheme) {
    byte[] key = privateKey(scheme, 1);
    assertThrows(IllegalArgumentException.class, () -> scheme.sign(Arrays.copyOf(key, key.length - 1), MESSAGE));
    assertThrows(IllegalArgumentException.class, () -> scheme.sign(Arrays.copyOf(key, key.length + 1), MESSAGE));
    assertThrows(IllegalArgumentException.class, () -> scheme.publicKeyOf(new byte[0]));
  }

  @Test
  void ecdsaPrivateScalarOutsideTheGroupIsRefused() {
    SignatureScheme p256 = SignatureScheme.ECDSA_SECP256R1_SHA256;
    byte[] order = hex("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
    assertThrows(IllegalArgumentException.class, () -> p256.sign(new byte[32], MESSAGE));
    assertThrows(IllegalArgumentException.class, () -> p256.sign(order, MESSAGE));
    byte[] belowOrder = order.clone();
    belowOrder[31]--;
    assertTrue(p256.verify(p256.publicKeyOf(belowOrder), MESSAGE, p256.sign(belowOrder, MESSAGE)));
  }

  private static void assertInvalid(SignatureScheme scheme, byte[] key) {
    assertFalse(scheme.isValidPublicKey(key));
    // A signature from a real key: verification must fail on the key, not on the signature's shape.
    assertFalse(scheme.verify(key, MESSAGE, scheme.sign(privateKey(scheme, 1), MESSAGE)));
  }

  // A fixed private key per scheme; the leading 0x01 keeps ECDSA scalars below the group order.
  static byte[] privateKey(SignatureScheme scheme, int seed) {
    byte[] key = new byte[PRIVATE_KEY_LENGTHS.get(scheme)];
    for (int i = 0; i < key.length; i++) {
      key[i] = (byte) (seed * 31 + i * 17);
    }
    key[0] = 0x01;
    return key;
  }

  static byte[] publicKey(SignatureScheme scheme, int seed) {
    return scheme.publicKeyOf(privateKey(scheme, seed));
  }

  // Reads r and s from a signature this library made (short-form DER lengths up to P-521's 139 bytes).
  private static BigInteger[] derIntegers(byte[] der) {
    int at = der[1] == (byte) 0x81 ? 3 : 2;
    int rLength = der[at + 1];
    BigInteger r = new BigInteger(Arrays.copyOfRange(der, at + 2, at + 2 + rLength));
    at += 2 + rLength;
    int sLength = der[at + 1];
    BigInteger s = new BigInteger(Arrays.copyOfRange(der, at + 2, at + 2 + sLength));
    return new BigInteger[] {r, s};
  }

  private static byte[] integer(byte[] value) {
    return TestBytes.concat(new byte[] {0x02, (byte) value.length}, value);
  }

  private static byte[] sequence(byte[] r, byte[] s) {
    byte[] body = TestBytes.concat(r, s);
    byte[] header = body.length < 0x80 ? new byte[] {0x30, (byte) body.length} : new byte[] {0x30, (byte) 0x81, (byte) body.length};
    return TestBytes.concat(header, body);
  }

  private static byte[] littleEndian(BigInteger value, int length) {
    byte[] bigEndian = value.toByteArray();
    byte[] out = new byte[length];
    for (int i = 0; i < Math.min(length, bigEndian.length); i++) {
      out[i] = bigEndian[bigEndian.length - 1 - i];
    }
    return out;
  }

  private static byte[] reversed(byte[] bytes) {
    byte[] out = new byte[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      out[i] = bytes[bytes.length - 1 - i];
    }
    return out;
  }
}
