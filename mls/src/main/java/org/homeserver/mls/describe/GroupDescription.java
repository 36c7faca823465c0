package org.homeserver.mls.describe;

import java.util.Map;
import org.homeserver.mls.message.GroupContext;
import org.homeserver.mls.message.GroupInfo;
import org.homeserver.mls.message.Welcome;

/** What joiners receive: a Welcome (who it is for) and a GroupInfo (the group's state, signed). */
final class GroupDescription {
  private GroupDescription() {}

  static Map<String, Object> welcome(Welcome welcome) {
    return new Fields()
        .with("cipher_suite", Names.cipherSuiteCodeAndName(welcome.cipherSuite()))
        .with("new_member_key_package_refs", welcome.secrets().stream()
            .map(s -> Scalars.hex(s.newMember())).toList())
        .with("encrypted_group_info_length", welcome.encryptedGroupInfo().length);
  }

  static Map<String, Object> groupInfo(GroupInfo info) {
    return new Fields()
        .with("group_context", groupContext(info.groupContext()))
        .with("extensions", ExtensionDescription.of(info.extensions()))
        .with("signer", info.signer())
        .with("confirmation_tag", Scalars.hex(info.confirmationTag()))
        .with("signature", Scalars.hex(info.signature()));
  }

  private static Map<String, Object> groupContext(GroupContext context) {
    return new Fields()
        .with("version", Names.version(context.version()))
        .with("cipher_suite", Names.cipherSuiteCodeAndName(context.cipherSuite()))
        .with("group_id", Scalars.hex(context.groupId()))
        .with("epoch", Scalars.unsigned(context.epoch()))
        .with("tree_hash", Scalars.hex(context.treeHash()))
        .with("confirmed_transcript_hash", Scalars.hex(context.confirmedTranscriptHash()))
        .with("extensions", ExtensionDescription.of(context.extensions()));
  }
}
