package org.homeserver.auth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HexFormat;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;
import org.junit.jupiter.api.Test;

class PasswordHasherTest {
  // Cheap parameters, so the tests that hash many times stay fast; defaults() is tested once.
  private final PasswordHasher fast = new PasswordHasher(64, 1, 1);

  @Test
  void rfc9106Argon2idVectorComesOutOfTheGeneratorWithThoseParameters() {
    var generator = new Argon2BytesGenerator();
    generator.init(new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
        .withVersion(Argon2Parameters.ARGON2_VERSION_13)
        .withMemoryAsKB(32)
        .withIterations(3)
        .withParallelism(4)
        .withSalt(filled(16, 0x02))
        .withSecret(filled(8, 0x03))
        .withAdditional(filled(12, 0x04))
        .build());
    byte[] tag = new byte[32];

    generator.generateBytes(filled(32, 0x01), tag);

    assertArrayEquals(HexFormat.of().parseHex("0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659"), tag);
  }

  @Test
  void referenceImplementationHashesVerify() {
    // From the Argon2 reference implementation's test suite (phc-winner-argon2, src/test.c): password
    // "password", salt "somesalt". They carry other parameters than ours, which the PHC string supplies.
    assertTrue(fast.verify("password",
        "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"));
    assertTrue(fast.verify("password",
        "$argon2id$v=19$m=256,t=2,p=2$c29tZXNhbHQ$bQk8UB/VmZZF4Oo79iDXuL5/0ttZwg2f/5U52iv1cDc"));
    assertFalse(fast.verify("Password",
        "$argon2id$v=19$m=256,t=2,p=2$c29tZXNhbHQ$bQk8UB/VmZZF4Oo79iDXuL5/0ttZwg2f/5U52iv1cDc"));
  }

  @Test
  void defaultsAreOwaspsArgon2idParameters() {
    String phc = PasswordHasher.defaults().hash("correct horse battery staple");

    assertTrue(phc.matches("\\$argon2id\\$v=19\\$m=19456,t=2,p=1\\$[A-Za-z0-9+/]{22}\\$[A-Za-z0-9+/]{43}"), phc);
    assertTrue(PasswordHasher.defaults().verify("correct horse battery staple", phc));
  }

  @Test
  void theRightPasswordVerifiesAndAWrongOneDoesNot() {
    String phc = fast.hash("correct horse battery staple");

    assertTrue(fast.verify("correct horse battery staple", phc));
    assertFalse(fast.verify("correct horse battery stapler", phc));
    assertFalse(fast.verify("", phc));
  }

  @Test
  void passwordsAreHashedAsUtf8() {
    String phc = fast.hash("pässwörd ✓ 𝄞");

    assertTrue(fast.verify("pässwörd ✓ 𝄞", phc));
    assertFalse(fast.verify("passwORD ✓ 𝄞", phc));
  }

  @Test
  void everyHashHasItsOwnSalt() {
    assertNotEquals(fast.hash("same password"), fast.hash("same password"));
  }

  @Test
  void hashesMadeBeforeAParameterChangeStillVerifyAndAskForARehash() {
    String old = fast.hash("correct horse battery staple");
    var stronger = new PasswordHasher(128, 2, 1);

    assertTrue(stronger.verify("correct horse battery staple", old));
    assertTrue(stronger.needsRehash(old));
    assertFalse(stronger.needsRehash(stronger.hash("correct horse battery staple")));
  }

  @Test
  void aTamperedHashDoesNotVerify() {
    String phc = fast.hash("correct horse battery staple");
    char last = phc.charAt(phc.length() - 2);
    String tampered = phc.substring(0, phc.length() - 2) + (last == 'A' ? 'B' : 'A') + phc.charAt(phc.length() - 1);

    assertFalse(fast.verify("correct horse battery staple", tampered));
  }

  @Test
  void malformedStoredStringsAreFalseAndNeedARehash() {
    String good = fast.hash("pw");
    String[] malformed = {
        "", "argon2id", good.replace("argon2id", "argon2i"), good.replace("v=19", "v=16"),
        good.replace("m=64", "m=99999999999"), good.replace("m=64", "m=4"), good.replace("t=1", "t=0"),
        good.replace("p=1", "p=1000"), good + "$", good.substring(0, good.lastIndexOf('$')),
        good.substring(0, good.length() - 20) + "!!!!", "$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQ$A",
        "$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQ$" + "A".repeat(87)};

    for (String phc : malformed) {
      assertFalse(fast.verify("pw", phc), phc);
      assertTrue(fast.needsRehash(phc), phc);
    }
    assertFalse(fast.verify("pw", null));
  }

  @Test
  void parametersArgon2CannotUseAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> new PasswordHasher(7, 1, 1));
    assertThrows(IllegalArgumentException.class, () -> new PasswordHasher(64, 0, 1));
    assertThrows(IllegalArgumentException.class, () -> new PasswordHasher(64, 1, 0));
    assertThrows(IllegalArgumentException.class, () -> new PasswordHasher(64, 1, 16));
  }

  private static byte[] filled(int length, int value) {
    byte[] bytes = new byte[length];
    Arrays.fill(bytes, (byte) value);
    return bytes;
  }
}
