package org.homeserver.mls.describe;

import java.util.Map;
import org.homeserver.mls.message.FramedContent;
import org.homeserver.mls.message.GroupInfo;
import org.homeserver.mls.message.MlsMessage;
import org.homeserver.mls.message.PrivateMessage;
import org.homeserver.mls.message.PublicMessage;
import org.homeserver.mls.message.Sender;
import org.homeserver.mls.message.Welcome;
import org.homeserver.mls.validation.KeyPackageValidator;

/**
 * A decoded MLSMessage as a tree a client developer can read once written as JSON: ordered maps,
 * lists, strings, numbers, booleans and nulls, named after RFC 9420's fields. Byte fields are
 * lowercase hex; code points are RFC 9420's names where known, else their numbers. Every KeyPackage
 * in the message carries its KeyPackageRef and the verdict of the given validator.
 */
public final class MessageDescription {
  private MessageDescription() {}

  public static Map<String, Object> of(MlsMessage message, KeyPackageValidator validator) {
    Fields fields = new Fields()
        .with("wire_format", Names.wireFormat(message.wireFormat()))
        .with("version", Names.version(message.version()));
    return switch (message.body()) {
      case PublicMessage m -> fields.with("public_message", publicMessage(m, validator));
      case PrivateMessage m -> fields.with("private_message", privateMessage(m));
      case Welcome w -> fields.with("welcome", GroupDescription.welcome(w));
      case GroupInfo g -> fields.with("group_info", GroupDescription.groupInfo(g));
      case MlsMessage.KeyPackageBody k -> fields.with("key_package", KeyPackageDescription.of(k.keyPackage(), validator));
    };
  }

  private static Map<String, Object> publicMessage(PublicMessage message, KeyPackageValidator validator) {
    FramedContent content = message.content();
    Fields fields = new Fields()
        .with("group_id", Scalars.hex(content.groupId()))
        .with("epoch", Scalars.unsigned(content.epoch()))
        .with("sender", sender(content.sender()))
        .with("authenticated_data", Scalars.hex(content.authenticatedData()))
        .with("content_type", Names.lower(content.contentType()));
    switch (content.body()) {
      case FramedContent.Application a -> fields.with("application_data", Scalars.hex(a.data()));
      case FramedContent.ProposalBody p -> fields.with("proposal", ProposalDescription.of(p.proposal(), validator));
      case FramedContent.CommitBody c -> fields.with("commit", ProposalDescription.commit(c.commit(), validator));
    }
    fields.with("signature", Scalars.hex(message.signature()));
    message.confirmationTag().ifPresent(tag -> fields.with("confirmation_tag", Scalars.hex(tag)));
    message.membershipTag().ifPresent(tag -> fields.with("membership_tag", Scalars.hex(tag)));
    return fields;
  }

  private static Map<String, Object> sender(Sender sender) {
    return switch (sender) {
      case Sender.Member m -> new Fields().with("type", "member").with("leaf_index", m.leafIndex());
      case Sender.External e -> new Fields().with("type", "external").with("sender_index", e.senderIndex());
      case Sender.NewMemberProposal p -> new Fields().with("type", "new_member_proposal");
      case Sender.NewMemberCommit c -> new Fields().with("type", "new_member_commit");
    };
  }

  private static Map<String, Object> privateMessage(PrivateMessage message) {
    return new Fields()
        .with("group_id", Scalars.hex(message.groupId()))
        .with("epoch", Scalars.unsigned(message.epoch()))
        .with("content_type", Names.lower(message.contentType()))
        .with("authenticated_data", Scalars.hex(message.authenticatedData()))
        .with("encrypted_sender_data_length", message.encryptedSenderData().length)
        .with("ciphertext_length", message.ciphertext().length);
  }
}
