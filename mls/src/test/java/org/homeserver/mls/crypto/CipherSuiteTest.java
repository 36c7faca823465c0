package org.homeserver.mls.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.spec.AlgorithmParameterSpec;
import java.util.Arrays;
import java.util.Optional;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.crypto.params.X25519PublicKeyParameters;
import org.bouncycastle.crypto.params.X448PublicKeyParameters;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Each suite's properties, checked against what its RFC 9420 name says rather than against our table. */
class CipherSuiteTest {
  @Test
  void fromCodeFindsTheSevenSuitesByCodeInRfcOrder() {
    for (int code = 1; code <= 7; code++) {
      assertEquals(code, CipherSuite.fromCode(code).orElseThrow().code());
      assertEquals(CipherSuite.values()[code - 1], CipherSuite.fromCode(code).orElseThrow());
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 8, 0x0A0A, 0xF000, -1})
  void fromCodeFindsNothingForUnknownOrGreaseCodes(int code) {
    assertEquals(Optional.empty(), CipherSuite.fromCode(code));
  }

  @ParameterizedTest
  @EnumSource(CipherSuite.class)
  void hashIsTheShaFunctionTheSuiteNames(CipherSuite suite) throws NoSuchAlgorithmException {
    String sha = suite.name().contains("_SHA256_") ? "SHA-256" : suite.name().contains("_SHA384_") ? "SHA-384" : "SHA-512";
    byte[] input = "abc".getBytes(StandardCharsets.US_ASCII);
    byte[] expected = MessageDigest.getInstance(sha).digest(input);
    assertArrayEquals(expected, suite.hash(input));
    assertEquals(expected.length, suite.hashLength());
  }

  @ParameterizedTest
  @EnumSource(CipherSuite.class)
  void signatureSchemeIsTheOneTheSuiteNames(CipherSuite suite) {
    String name = suite.name();
    SignatureScheme expected = name.endsWith("_Ed25519") ? SignatureScheme.ED25519
        : name.endsWith("_Ed448") ? SignatureScheme.ED448
        : name.endsWith("_P256") ? SignatureScheme.ECDSA_SECP256R1_SHA256
        : name.endsWith("_P384") ? SignatureScheme.ECDSA_SECP384R1_SHA384
        : name.endsWith("_P521") ? SignatureScheme.ECDSA_SECP521R1_SHA512
        : null;
    assertEquals(expected, suite.signatureScheme());
  }

  @ParameterizedTest
  @EnumSource(CipherSuite.class)
  void hpkePublicKeyLengthIsThatOfTheSuitesKem(CipherSuite suite) {
    String kem = suite.name().split("_")[2];
    int expected = switch (kem) {
      case "DHKEMX25519" -> X25519PublicKeyParameters.KEY_SIZE;
      case "DHKEMX448" -> X448PublicKeyParameters.KEY_SIZE;
      case "DHKEMP256" -> uncompressedPointLength("secp256r1");
      case "DHKEMP384" -> uncompressedPointLength("secp384r1");
      case "DHKEMP521" -> uncompressedPointLength("secp521r1");
      default -> throw new AssertionError(kem);
    };
    assertEquals(expected, suite.hpkePublicKeyLength());
  }

  @ParameterizedTest
  @EnumSource(CipherSuite.class)
  void aeadIsTheOneTheSuiteNamesAsTheJdkComputesIt(CipherSuite suite) throws Exception {
    String aead = suite.name().split("_")[3];
    int keyLength = aead.equals("AES128GCM") ? 16 : 32;
    byte[] key = new byte[keyLength];
    byte[] nonce = new byte[12];
    Arrays.fill(key, (byte) 7);
    Arrays.fill(nonce, (byte) 9);
    byte[] aad = "aad".getBytes(StandardCharsets.US_ASCII);
    byte[] plaintext = "plaintext".getBytes(StandardCharsets.US_ASCII);
    boolean chacha = aead.equals("CHACHA20POLY1305");
    Cipher jdk = Cipher.getInstance(chacha ? "ChaCha20-Poly1305" : "AES/GCM/NoPadding");
    AlgorithmParameterSpec params = chacha ? new IvParameterSpec(nonce) : new GCMParameterSpec(128, nonce);
    jdk.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, chacha ? "ChaCha20" : "AES"), params);
    jdk.updateAAD(aad);

    assertEquals(keyLength, suite.aeadKeyLength());
    assertEquals(12, suite.aeadNonceLength());
    byte[] sealed = suite.aeadSeal(key, nonce, aad, plaintext);
    assertArrayEquals(jdk.doFinal(plaintext), sealed);
    assertArrayEquals(plaintext, suite.aeadOpen(key, nonce, aad, sealed));
  }

  @ParameterizedTest
  @EnumSource(CipherSuite.class)
  void aeadOpenRefusesEveryFlippedBitOfCiphertextAndTag(CipherSuite suite) {
    byte[] key = new byte[suite.aeadKeyLength()];
    byte[] nonce = new byte[suite.aeadNonceLength()];
    byte[] sealed = suite.aeadSeal(key, nonce, new byte[0], new byte[20]);
    for (int bit = 0; bit < sealed.length * 8; bit++) {
      byte[] damaged = TestBytes.flipBit(sealed, bit);
      assertThrows(DecryptionFailedException.class, () -> suite.aeadOpen(key, nonce, new byte[0], damaged),
          "bit " + bit);
    }
    assertThrows(DecryptionFailedException.class, () -> suite.aeadOpen(key, nonce, new byte[] {1}, sealed), "aad");
  }

  private static int uncompressedPointLength(String curve) {
    return CustomNamedCurves.getByName(curve).getG().getEncoded(false).length;
  }
}
