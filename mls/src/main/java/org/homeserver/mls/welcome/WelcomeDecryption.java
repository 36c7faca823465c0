package org.homeserver.mls.welcome;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.homeserver.mls.codec.MlsDecodeException;
import org.homeserver.mls.codec.MlsReader;
import org.homeserver.mls.crypto.CipherSuite;
import org.homeserver.mls.crypto.DecryptionFailedException;
import org.homeserver.mls.crypto.HashReferences;
import org.homeserver.mls.crypto.KeySchedule;
import org.homeserver.mls.crypto.LabeledEncryption;
import org.homeserver.mls.crypto.TranscriptHashes;
import org.homeserver.mls.message.GroupInfo;
import org.homeserver.mls.message.GroupSecrets;
import org.homeserver.mls.message.KeyPackage;
import org.homeserver.mls.message.PreSharedKeyId;
import org.homeserver.mls.message.Welcome;
import org.homeserver.mls.message.Welcome.EncryptedGroupSecrets;

/**
 * A new member's side of a Welcome (RFC 9420 section 12.4.3.1), up to the ratchet tree: find its
 * GroupSecrets by its KeyPackageRef, decrypt them with its init key, run the key schedule from the
 * joiner secret, decrypt the GroupInfo and check its confirmation tag. The GroupInfo's signature needs
 * the signer's key from the ratchet tree, so the caller checks it ({@link DecryptedWelcome#isSignedBy}).
 */
public final class WelcomeDecryption {
  private static final byte[] NO_AAD = new byte[0];

  private WelcomeDecryption() {}

  /**
   * Decrypts {@code welcome} for the member that published {@code keyPackage}. Throws
   * IllegalArgumentException if {@code initPrivateKey} is not an HPKE private key of the suite.
   */
  public static DecryptedWelcome decrypt(Welcome welcome, KeyPackage keyPackage, byte[] initPrivateKey,
      PreSharedKeys preSharedKeys) throws WelcomeDecryptionException {
    CipherSuite suite = suiteOf(welcome, keyPackage);
    EncryptedGroupSecrets mine = secretsFor(welcome, HashReferences.keyPackageRef(suite, keyPackage.toBytes()));
    GroupSecrets groupSecrets = groupSecrets(suite, welcome, mine, initPrivateKey);

    byte[] pskSecret = KeySchedule.pskSecret(suite, psks(groupSecrets, preSharedKeys));
    byte[] memberSecret = KeySchedule.memberSecret(suite, groupSecrets.joinerSecret(), pskSecret);
    byte[] welcomeSecret = KeySchedule.welcomeSecret(suite, memberSecret);
    GroupInfo groupInfo = groupInfo(suite, welcome, KeySchedule.welcomeKey(suite, welcomeSecret),
        KeySchedule.welcomeNonce(suite, welcomeSecret));

    byte[] epochSecret = KeySchedule.epochSecret(suite, memberSecret, groupInfo.groupContext().toBytes());
    if (!TranscriptHashes.confirmationTagMatches(suite, KeySchedule.confirmationKey(suite, epochSecret),
        groupInfo.groupContext().confirmedTranscriptHash(), groupInfo.confirmationTag())) {
      throw new WelcomeDecryptionException(WelcomeDecryptionException.Step.CONFIRMATION_TAG,
          "the confirmation tag is not the MAC of the confirmed transcript hash under this epoch's confirmation key");
    }
    return new DecryptedWelcome(suite, groupSecrets, groupInfo, epochSecret);
  }

  private static CipherSuite suiteOf(Welcome welcome, KeyPackage keyPackage) throws WelcomeDecryptionException {
    CipherSuite suite = CipherSuite.fromCode(welcome.cipherSuite()).orElseThrow(() -> new WelcomeDecryptionException(
        WelcomeDecryptionException.Step.CIPHER_SUITE, "cipher suite " + welcome.cipherSuite() + " is not RFC 9420's"));
    if (keyPackage.cipherSuite() != welcome.cipherSuite()) {
      throw new WelcomeDecryptionException(WelcomeDecryptionException.Step.CIPHER_SUITE, "the Welcome's suite is "
          + welcome.cipherSuite() + ", the KeyPackage's " + keyPackage.cipherSuite());
    }
    return suite;
  }

  private static EncryptedGroupSecrets secretsFor(Welcome welcome, byte[] keyPackageRef)
      throws WelcomeDecryptionException {
    return welcome.secrets().stream()
        .filter(s -> Arrays.equals(s.newMember(), keyPackageRef))
        .findFirst()
        .orElseThrow(() -> new WelcomeDecryptionException(WelcomeDecryptionException.Step.KEY_PACKAGE_REF,
            "none of the Welcome's " + welcome.secrets().size() + " new members is this KeyPackage"));
  }

  /** {@code DecryptWithLabel(init_priv, "Welcome", encrypted_group_info, kem_output, ciphertext)}, decoded. */
  private static GroupSecrets groupSecrets(CipherSuite suite, Welcome welcome, EncryptedGroupSecrets mine,
      byte[] initPrivateKey) throws WelcomeDecryptionException {
    try {
      byte[] plaintext = LabeledEncryption.decryptWithLabel(suite, initPrivateKey, "Welcome",
          welcome.encryptedGroupInfo(), mine.encryptedGroupSecrets().kemOutput(),
          mine.encryptedGroupSecrets().ciphertext());
      return MlsReader.decodeAll(plaintext, "group_secrets", GroupSecrets::decode);
    } catch (DecryptionFailedException | MlsDecodeException e) {
      throw new WelcomeDecryptionException(WelcomeDecryptionException.Step.GROUP_SECRETS, e.getMessage());
    }
  }

  private static List<KeySchedule.Psk> psks(GroupSecrets groupSecrets, PreSharedKeys preSharedKeys)
      throws WelcomeDecryptionException {
    List<KeySchedule.Psk> psks = new ArrayList<>();
    for (PreSharedKeyId id : groupSecrets.psks()) {
      byte[] value = preSharedKeys.find(id).orElseThrow(() -> new WelcomeDecryptionException(
          WelcomeDecryptionException.Step.PRE_SHARED_KEY, "the joiner does not hold the " + describe(id)));
      psks.add(new KeySchedule.Psk(id.toBytes(), value));
    }
    return psks;
  }

  private static String describe(PreSharedKeyId id) {
    return switch (id.kind()) {
      case PreSharedKeyId.External e -> "external PSK " + HexFormat.of().formatHex(e.pskId());
      case PreSharedKeyId.Resumption r -> "resumption PSK of epoch " + Long.toUnsignedString(r.epoch());
    };
  }

  /** {@code AEAD.Open(welcome_key, welcome_nonce, "", encrypted_group_info)}, decoded. */
  private static GroupInfo groupInfo(CipherSuite suite, Welcome welcome, byte[] key, byte[] nonce)
      throws WelcomeDecryptionException {
    try {
      byte[] plaintext = suite.aeadOpen(key, nonce, NO_AAD, welcome.encryptedGroupInfo());
      GroupInfo groupInfo = MlsReader.decodeAll(plaintext, "group_info", GroupInfo::decode);
      if (groupInfo.groupContext().cipherSuite() != suite.code()) {
        throw new WelcomeDecryptionException(WelcomeDecryptionException.Step.GROUP_INFO, "the GroupInfo's suite is "
            + groupInfo.groupContext().cipherSuite() + ", the Welcome's " + suite.code());
      }
      return groupInfo;
    } catch (DecryptionFailedException | MlsDecodeException e) {
      throw new WelcomeDecryptionException(WelcomeDecryptionException.Step.GROUP_INFO, e.getMessage());
    }
  }
}
