package org.homeserver.mls.welcome;

import static org.homeserver.mls.TestVectors.hexField;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.homeserver.mls.TestVectors;
import org.homeserver.mls.codec.MlsDecodeException;
import org.homeserver.mls.crypto.CipherSuite;
import org.homeserver.mls.crypto.HashReferences;
import org.homeserver.mls.crypto.KeySchedule;
import org.homeserver.mls.crypto.LabeledEncryption;
import org.homeserver.mls.crypto.TestBytes;
import org.homeserver.mls.message.GroupInfo;
import org.homeserver.mls.message.HpkeCiphertext;
import org.homeserver.mls.message.KeyPackage;
import org.homeserver.mls.message.MlsMessage;
import org.homeserver.mls.message.PreSharedKeyId;
import org.homeserver.mls.message.Welcome;
import org.homeserver.mls.message.Welcome.EncryptedGroupSecrets;
import org.homeserver.mls.welcome.WelcomeDecryptionException.Step;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A joiner's decryption of a Welcome (RFC 9420 section 12.4.3.1) against the working group's
 * welcome.json (no PSKs, GroupInfo signature and confirmation tag) and passive-client-welcome.json
 * (with and without an external PSK, the epoch authenticator), in all seven suites; and the step
 * each kind of damage fails at.
 */
class WelcomeVectorsTest {
  private static final List<Map<String, Object>> WELCOME = TestVectors.load("welcome.json");
  private static final List<Map<String, Object>> PASSIVE = TestVectors.load("passive-client-welcome.json");

  record Case(CipherSuite suite, KeyPackage keyPackage, Welcome welcome, byte[] initPriv, byte[] signerPub) {
    DecryptedWelcome decrypt() throws WelcomeDecryptionException {
      return decrypt(welcome, initPriv);
    }

    DecryptedWelcome decrypt(Welcome welcome, byte[] initPriv) throws WelcomeDecryptionException {
      return WelcomeDecryption.decrypt(welcome, keyPackage, initPriv, PreSharedKeys.none());
    }

    Step failingStep(Welcome welcome, byte[] initPriv) {
      return assertThrows(WelcomeDecryptionException.class, () -> decrypt(welcome, initPriv)).step();
    }

    /**
     * The Welcome with {@code encryptedGroupInfo} in place of its own and its GroupSecrets encrypted
     * again for it, as a committer would have sent it: the GroupSecrets name the GroupInfo they
     * come with, so damage to the GroupInfo alone fails there first.
     */
    Welcome withGroupInfo(byte[] encryptedGroupInfo) throws WelcomeDecryptionException {
      byte[] groupSecrets = decrypt().groupSecrets().toBytes();
      LabeledEncryption.Sealed sealed = LabeledEncryption.encryptWithLabel(suite, keyPackage.initKey(), "Welcome",
          encryptedGroupInfo, groupSecrets);
      EncryptedGroupSecrets mine = new EncryptedGroupSecrets(HashReferences.keyPackageRef(suite, keyPackage.toBytes()),
          new HpkeCiphertext(sealed.kemOutput(), sealed.ciphertext()));
      return new Welcome(welcome.cipherSuite(), List.of(mine), encryptedGroupInfo);
    }

    /** {@code groupInfo} encrypted under this Welcome's welcome key and nonce (no PSKs). */
    byte[] encryptedUnderWelcomeKey(GroupInfo groupInfo) throws WelcomeDecryptionException {
      byte[] memberSecret = KeySchedule.memberSecret(suite, decrypt().groupSecrets().joinerSecret(),
          KeySchedule.pskSecret(suite, List.of()));
      byte[] welcomeSecret = KeySchedule.welcomeSecret(suite, memberSecret);
      return suite.aeadSeal(KeySchedule.welcomeKey(suite, welcomeSecret),
          KeySchedule.welcomeNonce(suite, welcomeSecret), new byte[0], groupInfo.toBytes());
    }

    @Override
    public String toString() {
      return suite.name();
    }
  }

  record PassiveCase(int index, Case joiner, List<Map<String, Object>> externalPsks, byte[] epochAuthenticator) {
    PreSharedKeys preSharedKeys() {
      return id -> id.kind() instanceof PreSharedKeyId.External e
          ? externalPsks.stream().filter(p -> Arrays.equals(hexField(p, "psk_id"), e.pskId()))
              .map(p -> hexField(p, "psk")).findFirst()
          : Optional.empty();
    }

    @Override
    public String toString() {
      return joiner.suite().name() + " case " + index + (externalPsks.isEmpty() ? "" : " with a PSK");
    }
  }

  static Stream<Case> cases() {
    return WELCOME.stream().map(c -> joiner(c, hexField(c, "signer_pub")));
  }

  static Stream<PassiveCase> passiveCases() {
    return IntStream.range(0, PASSIVE.size()).mapToObj(i -> {
      Map<String, Object> c = PASSIVE.get(i);
      @SuppressWarnings("unchecked")
      List<Map<String, Object>> psks = (List<Map<String, Object>>) c.get("external_psks");
      return new PassiveCase(i, joiner(c, null), psks, hexField(c, "initial_epoch_authenticator"));
    });
  }

  static Stream<PassiveCase> passiveCasesWithPsks() {
    return passiveCases().filter(c -> !c.externalPsks().isEmpty());
  }

  private static Case joiner(Map<String, Object> c, byte[] signerPub) {
    try {
      KeyPackage keyPackage = ((MlsMessage.KeyPackageBody) MlsMessage.decode(hexField(c, "key_package")).body())
          .keyPackage();
      Welcome welcome = (Welcome) MlsMessage.decode(hexField(c, "welcome")).body();
      return new Case(TestVectors.suite(c), keyPackage, welcome, hexField(c, "init_priv"), signerPub);
    } catch (MlsDecodeException e) {
      throw new AssertionError("the vector does not decode", e);
    }
  }

  @Test
  void welcomeVectorsCoverAllSevenSuitesOnce() {
    Set<CipherSuite> suites = WELCOME.stream().map(TestVectors::suite).collect(Collectors.toSet());
    assertEquals(EnumSet.allOf(CipherSuite.class), suites);
    assertEquals(7, WELCOME.size());
  }

  @Test
  void passiveClientVectorsHaveAnExternalPskInHalfTheCases() {
    assertEquals(56, PASSIVE.size());
    assertEquals(28, passiveCasesWithPsks().count());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void welcomeDecryptsToAGroupInfoSignedBySignerWhoseConfirmationTagChecks(Case c) throws WelcomeDecryptionException {
    DecryptedWelcome joined = c.decrypt();
    assertEquals(c.suite(), joined.suite());
    assertEquals(c.suite().code(), joined.groupInfo().groupContext().cipherSuite());
    assertEquals(c.suite().hashLength(), joined.groupSecrets().joinerSecret().length);
    assertTrue(joined.groupSecrets().psks().isEmpty());
    assertTrue(joined.isSignedBy(c.signerPub()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("passiveCases")
  void passiveClientWelcomeGivesTheVectorsEpochAuthenticator(PassiveCase c) throws WelcomeDecryptionException {
    Case j = c.joiner();
    DecryptedWelcome joined = WelcomeDecryption.decrypt(j.welcome(), j.keyPackage(), j.initPriv(), c.preSharedKeys());
    assertEquals(c.externalPsks().size(), joined.groupSecrets().psks().size());
    assertArrayEquals(c.epochAuthenticator(), joined.epochAuthenticator());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("passiveCasesWithPsks")
  void aJoinerWithoutThePskCannotJoin(PassiveCase c) {
    Case j = c.joiner();
    WelcomeDecryptionException e = assertThrows(WelcomeDecryptionException.class,
        () -> WelcomeDecryption.decrypt(j.welcome(), j.keyPackage(), j.initPriv(), PreSharedKeys.none()));
    assertEquals(Step.PRE_SHARED_KEY, e.step());
    assertTrue(e.getMessage().startsWith("PRE_SHARED_KEY: the joiner does not hold the external PSK "),
        e.getMessage());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("passiveCasesWithPsks")
  void aWrongPskValueFailsTheGroupInfoDecryption(PassiveCase c) {
    Case j = c.joiner();
    PreSharedKeys wrong = id -> c.preSharedKeys().find(id).map(v -> TestBytes.flipBit(v, 0));
    WelcomeDecryptionException e = assertThrows(WelcomeDecryptionException.class,
        () -> WelcomeDecryption.decrypt(j.welcome(), j.keyPackage(), j.initPriv(), wrong));
    assertEquals(Step.GROUP_INFO, e.step());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void flippedBitInSignatureOrSignerKeyFailsTheSignatureCheck(Case c) throws WelcomeDecryptionException {
    DecryptedWelcome joined = c.decrypt();
    GroupInfo info = joined.groupInfo();
    GroupInfo forged = new GroupInfo(info.groupContext(), info.extensions(), info.confirmationTag(), info.signer(),
        TestBytes.flipBit(info.signature(), 8));
    assertFalse(new DecryptedWelcome(c.suite(), joined.groupSecrets(), forged, joined.epochSecret())
        .isSignedBy(c.signerPub()));
    assertFalse(joined.isSignedBy(TestBytes.flipBit(c.signerPub(), 8 * 10 + 3)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void anotherInitKeyFailsAtTheGroupSecrets(Case c) {
    // Byte 10, well inside the key: X25519 and X448 ignore some bits of the first and last bytes.
    assertEquals(Step.GROUP_SECRETS, c.failingStep(c.welcome(), TestBytes.flipBit(c.initPriv(), 10 * 8 + 3)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void flippedBitInEncryptedGroupSecretsFailsAtTheGroupSecrets(Case c) {
    EncryptedGroupSecrets mine = c.welcome().secrets().getFirst();
    HpkeCiphertext sealed = mine.encryptedGroupSecrets();
    for (int i = 0; i < sealed.ciphertext().length; i += 7) {
      HpkeCiphertext flipped = new HpkeCiphertext(sealed.kemOutput(), TestBytes.flipBit(sealed.ciphertext(), i * 8));
      Welcome damaged = new Welcome(c.welcome().cipherSuite(),
          List.of(new EncryptedGroupSecrets(mine.newMember(), flipped)), c.welcome().encryptedGroupInfo());
      assertEquals(Step.GROUP_SECRETS, c.failingStep(damaged, c.initPriv()), "ciphertext byte " + i);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void flippedBitInEncryptedGroupInfoFailsAtTheGroupSecretsThatNameIt(Case c) {
    byte[] groupInfo = c.welcome().encryptedGroupInfo();
    for (int i = 0; i < groupInfo.length; i += 37) {
      Welcome damaged = new Welcome(c.welcome().cipherSuite(), c.welcome().secrets(),
          TestBytes.flipBit(groupInfo, i * 8));
      assertEquals(Step.GROUP_SECRETS, c.failingStep(damaged, c.initPriv()), "encrypted_group_info byte " + i);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void flippedBitInEncryptedGroupInfoUnderFreshGroupSecretsFailsAtTheGroupInfo(Case c)
      throws WelcomeDecryptionException {
    byte[] groupInfo = c.welcome().encryptedGroupInfo();
    assertEquals(c.suite(), c.decrypt(c.withGroupInfo(groupInfo), c.initPriv()).suite(), "the undamaged control");
    for (int i = 0; i < groupInfo.length; i += 37) {
      Welcome damaged = c.withGroupInfo(TestBytes.flipBit(groupInfo, i * 8));
      WelcomeDecryptionException e = assertThrows(WelcomeDecryptionException.class,
          () -> c.decrypt(damaged, c.initPriv()));
      assertEquals(Step.GROUP_INFO, e.step(), "encrypted_group_info byte " + i);
      assertTrue(e.getMessage().contains("does not authenticate"), e.getMessage());
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void flippedBitInConfirmationTagFailsTheConfirmationCheck(Case c) throws WelcomeDecryptionException {
    GroupInfo info = c.decrypt().groupInfo();
    GroupInfo forged = new GroupInfo(info.groupContext(), info.extensions(),
        TestBytes.flipBit(info.confirmationTag(), 5), info.signer(), info.signature());
    Welcome welcome = c.withGroupInfo(c.encryptedUnderWelcomeKey(forged));
    assertEquals(Step.CONFIRMATION_TAG, c.failingStep(welcome, c.initPriv()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void aWelcomeThatDoesNotNameTheKeyPackageIsNotForIt(Case c) {
    Welcome others = new Welcome(c.welcome().cipherSuite(), c.welcome().secrets().stream()
        .map(s -> new EncryptedGroupSecrets(TestBytes.flipBit(s.newMember(), 0), s.encryptedGroupSecrets()))
        .toList(), c.welcome().encryptedGroupInfo());
    assertEquals(Step.KEY_PACKAGE_REF, c.failingStep(others, c.initPriv()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void aWelcomeInAnotherSuiteThanTheKeyPackageIsRefused(Case c) {
    int other = c.suite().code() % 7 + 1;
    Welcome renamed = new Welcome(other, c.welcome().secrets(), c.welcome().encryptedGroupInfo());
    assertEquals(Step.CIPHER_SUITE, c.failingStep(renamed, c.initPriv()));
    Welcome unknown = new Welcome(0xf0f0, c.welcome().secrets(), c.welcome().encryptedGroupInfo());
    assertEquals(Step.CIPHER_SUITE, c.failingStep(unknown, c.initPriv()));
  }
}
