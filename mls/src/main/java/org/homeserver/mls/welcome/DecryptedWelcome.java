package org.homeserver.mls.welcome;

import org.homeserver.mls.crypto.CipherSuite;
import org.homeserver.mls.crypto.KeySchedule;
import org.homeserver.mls.crypto.LabeledSignatures;
import org.homeserver.mls.message.GroupInfo;
import org.homeserver.mls.message.GroupSecrets;

/**
 * What a joiner learns from a Welcome whose GroupInfo's confirmation tag checked out.
 *
 * @param groupSecrets the joiner's GroupSecrets; its path secret, if any, is for the ratchet tree
 * @param groupInfo    the group as the committer signed it
 * @param epochSecret  the epoch secret of the epoch joined (RFC 9420 section 8)
 */
public record DecryptedWelcome(CipherSuite suite, GroupSecrets groupSecrets, GroupInfo groupInfo,
                               byte[] epochSecret) {

  /**
   * Whether the GroupInfo is signed (VerifyWithLabel "GroupInfoTBS") by {@code signerPublicKey}, which
   * the joiner takes from the leaf {@code groupInfo.signer()} of the ratchet tree (section 12.4.3.1).
   */
  public boolean isSignedBy(byte[] signerPublicKey) {
    return LabeledSignatures.verifyWithLabel(suite.signatureScheme(), signerPublicKey, "GroupInfoTBS",
        groupInfo.toBeSigned(), groupInfo.signature());
  }

  /** The epoch authenticator of the epoch joined (section 8.7). */
  public byte[] epochAuthenticator() {
    return KeySchedule.epochAuthenticator(suite, epochSecret);
  }
}
