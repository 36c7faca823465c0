package org.homeserver.platform.secrets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import java.util.List;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.homeserver.platform.testing.ByteRuns;
import org.junit.jupiter.api.Test;

class SealerTest {
  private final SecureRandom random = new SecureRandom();
  private final KeyEncryptionKey first = KeyEncryptionKey.generate(random);
  private final KeyEncryptionKey second = KeyEncryptionKey.generate(random);
  private final Sealer sealer = new Sealer(first, List.of());

  private static byte[] p256Pkcs8() throws Exception {
    var generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"));
    return generator.generateKeyPair().getPrivate().getEncoded();
  }

  @Test
  void sealedKeyOpensForItsPurposeAndHoldsNoPartOfTheKey() throws Exception {
    byte[] key = p256Pkcs8();
    byte[] sealed = sealer.seal(key, "auth.authority.root");
    assertTrue(Sealer.isSealed(sealed));
    assertFalse(ByteRuns.holdsPartOf(sealed, key));
    assertTrue(ByteRuns.holdsPartOf(key, Arrays.copyOfRange(key, 10, 18)), "the check finds what is there");
    assertArrayEquals(key, sealer.unseal(sealed, "auth.authority.root"));
  }

  @Test
  void everySealingTakesAFreshNonce() {
    byte[] key = new Ed25519PrivateKeyParameters(random).getEncoded();
    byte[] once = sealer.seal(key, "auth.token_keys/k1");
    byte[] twice = sealer.seal(key, "auth.token_keys/k1");
    assertFalse(Arrays.equals(once, twice));
    assertArrayEquals(key, sealer.unseal(twice, "auth.token_keys/k1"));
  }

  @Test
  void valueSealedForOneRowDoesNotOpenForAnother() {
    byte[] sealed = sealer.seal(new Ed25519PrivateKeyParameters(random).getEncoded(), "auth.token_keys/k1");
    SealedKeyException e = assertThrows(SealedKeyException.class, () -> sealer.unseal(sealed, "auth.token_keys/k2"));
    assertEquals("auth.token_keys/k2 does not open under key-encryption key " + first.id() + ", the key it names: "
        + "the stored value was altered or copied from another row; restore it from a backup of the database",
        e.getMessage());
  }

  @Test
  void alteredValueDoesNotOpen() throws Exception {
    byte[] sealed = sealer.seal(p256Pkcs8(), "notifier.vapid");
    sealed[sealed.length - 20] ^= 1;
    SealedKeyException e = assertThrows(SealedKeyException.class, () -> sealer.unseal(sealed, "notifier.vapid"));
    assertTrue(e.getMessage().contains("was altered or copied from another row"), e.getMessage());
  }

  @Test
  void valueUnderTheCurrentKeyIsLeftAsItIs() throws Exception {
    byte[] key = p256Pkcs8();
    Sealer.Unsealed opened = sealer.open(sealer.seal(key, "notifier.vapid"), "notifier.vapid");
    assertArrayEquals(key, opened.privateKey());
    assertTrue(opened.resealed().isEmpty());
  }

  @Test
  void valueUnderAPreviousKeyOpensAndComesSealedAgainUnderTheCurrentOne() throws Exception {
    byte[] key = p256Pkcs8();
    byte[] underFirst = sealer.seal(key, "auth.authority.intermediate");
    Sealer.Unsealed opened = new Sealer(second, List.of(first)).open(underFirst, "auth.authority.intermediate");
    assertArrayEquals(key, opened.privateKey());
    byte[] underSecond = opened.resealed().orElseThrow();
    assertArrayEquals(key, new Sealer(second, List.of()).unseal(underSecond, "auth.authority.intermediate"));
    assertThrows(SealedKeyException.class, () -> sealer.unseal(underSecond, "auth.authority.intermediate"));
  }

  @Test
  void valueUnderAKeyThisProcessLacksIsRefusedNamingThatKeyAndTheOnesAtHand() throws Exception {
    byte[] sealed = sealer.seal(p256Pkcs8(), "auth.authority.root");
    KeyEncryptionKey other = KeyEncryptionKey.generate(random);
    SealedKeyException e = assertThrows(SealedKeyException.class,
        () -> new Sealer(second, List.of(other)).open(sealed, "auth.authority.root"));
    assertEquals("auth.authority.root is sealed under key-encryption key " + first.id() + ", which this process "
        + "was not given (it has " + second.id() + " (current), " + other.id() + " (previous)); configure that key "
        + "as secrets.key-encryption-key-file or secrets.key-encryption-key, or list it in "
        + "secrets.previous-key-encryption-keys (a key's id is the first 16 hex digits of its SHA-256: "
        + "base64 -d < keyfile | sha256sum)", e.getMessage());
  }

  @Test
  void plaintextKeysOfEarlierVersionsAreTakenForPlaintextAndComeSealed() throws Exception {
    byte[] pkcs8 = p256Pkcs8();
    byte[] ed25519 = new Ed25519PrivateKeyParameters(random).getEncoded();
    // A raw Ed25519 key may start with the sealed format's magic; its length still tells it apart.
    byte[] magicLike = ed25519.clone();
    magicLike[0] = 'h';
    magicLike[1] = 's';
    magicLike[2] = 'k';
    magicLike[3] = 1;
    for (byte[] plaintext : List.of(pkcs8, ed25519, magicLike)) {
      assertFalse(Sealer.isSealed(plaintext));
      Sealer.Unsealed opened = sealer.open(plaintext, "auth.token_keys/k1");
      assertArrayEquals(plaintext, opened.privateKey());
      assertArrayEquals(plaintext, sealer.unseal(opened.resealed().orElseThrow(), "auth.token_keys/k1"));
    }
  }

  @Test
  void valueInAnUnknownFormatVersionIsRefused() {
    byte[] sealed = sealer.seal(new Ed25519PrivateKeyParameters(random).getEncoded(), "auth.token_keys/k1");
    sealed[3] = 2;
    SealedKeyException e = assertThrows(SealedKeyException.class, () -> sealer.open(sealed, "auth.token_keys/k1"));
    assertEquals("auth.token_keys/k1 is sealed in format version 2, which this version of the homeserver does not "
        + "read; was it written by a newer one?", e.getMessage());
  }

  @Test
  void keyIdIsTheStartOfTheKeysSha256() {
    // SHA-256 of 32 zero bytes is 66687aadf862bd776c8fc18b8e9f8e20...
    assertEquals("66687aadf862bd77", KeyEncryptionKey.of(new byte[32]).id());
    assertEquals("key-encryption key 66687aadf862bd77", KeyEncryptionKey.of(new byte[32]).toString());
  }

  @Test
  void keyMustBeThirtyTwoBytesOfBase64() {
    assertEquals(first.id(), KeyEncryptionKey.fromBase64(" " + first.base64() + "\n").id());
    assertEquals("base64 of 16 bytes, not 32",
        assertThrows(IllegalArgumentException.class, () -> KeyEncryptionKey.fromBase64("AAAAAAAAAAAAAAAAAAAAAA==")).getMessage());
    assertEquals("not base64",
        assertThrows(IllegalArgumentException.class, () -> KeyEncryptionKey.fromBase64("not a key!")).getMessage());
  }
}
