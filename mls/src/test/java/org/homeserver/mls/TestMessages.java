package org.homeserver.mls;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.homeserver.mls.codec.MlsDecodeException;
import org.homeserver.mls.crypto.CipherSuite;
import org.homeserver.mls.crypto.HashReferences;
import org.homeserver.mls.message.Capabilities;
import org.homeserver.mls.message.Commit;
import org.homeserver.mls.message.ContentType;
import org.homeserver.mls.message.Credential;
import org.homeserver.mls.message.Extension;
import org.homeserver.mls.message.FramedContent;
import org.homeserver.mls.message.GroupContext;
import org.homeserver.mls.message.GroupInfo;
import org.homeserver.mls.message.HpkeCiphertext;
import org.homeserver.mls.message.KeyPackage;
import org.homeserver.mls.message.LeafNode;
import org.homeserver.mls.message.MlsMessage;
import org.homeserver.mls.message.PrivateMessage;
import org.homeserver.mls.message.Proposal;
import org.homeserver.mls.message.PublicMessage;
import org.homeserver.mls.message.Sender;
import org.homeserver.mls.message.Welcome;

/**
 * The MLS messages a Delivery Service sees, encoded with the codec for tests and benchmarks: commits
 * and proposals as PublicMessage, application messages as PrivateMessage, Welcomes naming the
 * KeyPackages a commit adds, GroupInfos. Everything a server reads is real (group id, epoch, sender,
 * proposals, KeyPackages and their refs); what only members can check (signatures, tags, HPKE
 * ciphertexts, the encrypted content) is random bytes of the right shape, since no server can tell.
 */
public final class TestMessages {
  private static final SecureRandom RANDOM = new SecureRandom();

  private TestMessages() {}

  /** {@code n} random bytes. */
  public static byte[] random(int n) {
    byte[] bytes = new byte[n];
    RANDOM.nextBytes(bytes);
    return bytes;
  }

  /** A PublicMessage commit by the member at {@code committerLeaf}, without a path. */
  public static byte[] commit(byte[] groupId, long epoch, long committerLeaf, List<Commit.ProposalOrRef> proposals) {
    return publicMessage(groupId, epoch, new Sender.Member(committerLeaf),
        new FramedContent.CommitBody(new Commit(proposals, Optional.empty())));
  }

  /** A commit whose proposals are all carried by value. */
  public static byte[] commitByValue(byte[] groupId, long epoch, long committerLeaf, Proposal... proposals) {
    return commit(groupId, epoch, committerLeaf, List.of(proposals).stream()
        .<Commit.ProposalOrRef>map(Commit.ByValue::new).toList());
  }

  /**
   * An external commit (sender new_member_commit, RFC 9420 section 12.4.3.2) of a joiner with
   * {@code credential} and signature key {@code signatureKey}: one ExternalInit, the Remove of the
   * joiner's old leaf if given, and the path the joiner's new leaf comes in.
   */
  public static byte[] externalCommit(CipherSuite suite, byte[] groupId, long epoch, Credential credential,
      byte[] signatureKey, Optional<Long> resyncRemove) {
    List<Commit.ProposalOrRef> proposals = new ArrayList<>();
    proposals.add(new Commit.ByValue(new Proposal.ExternalInit(random(suite.hpkePublicKeyLength()))));
    resyncRemove.ifPresent(leaf -> proposals.add(new Commit.ByValue(new Proposal.Remove(leaf))));
    LeafNode leaf = new LeafNode(random(suite.hpkePublicKeyLength()), signatureKey, credential,
        new Capabilities(List.of(MlsMessage.MLS10), List.of(suite.code()), List.of(),
            List.of(), List.of(credential.type())),
        new LeafNode.CommitSource(random(suite.hashLength())), List.of(), random(64));
    Commit.UpdatePath path = new Commit.UpdatePath(leaf, List.of());
    return publicMessage(groupId, epoch, new Sender.NewMemberCommit(),
        new FramedContent.CommitBody(new Commit(proposals, Optional.of(path))));
  }

  /** A PublicMessage proposal by the member at {@code senderLeaf}. */
  public static byte[] proposal(byte[] groupId, long epoch, long senderLeaf, Proposal proposal) {
    return publicMessage(groupId, epoch, new Sender.Member(senderLeaf), new FramedContent.ProposalBody(proposal));
  }

  /** The ProposalRef (RFC 9420 section 5.2) of a proposal message made by {@link #proposal}. */
  public static byte[] proposalRef(CipherSuite suite, byte[] proposalMessage) {
    try {
      PublicMessage message = (PublicMessage) MlsMessage.decode(proposalMessage).body();
      return HashReferences.proposalRef(suite, message.authenticatedContent());
    } catch (MlsDecodeException e) {
      throw new IllegalArgumentException("not a proposal message made here", e);
    }
  }

  /** A PublicMessage of any content by any sender: the framing real clients send, tags random. */
  public static byte[] publicMessage(byte[] groupId, long epoch, Sender sender, FramedContent.Body body) {
    FramedContent content = new FramedContent(groupId, epoch, sender, new byte[0], body);
    Optional<byte[]> confirmationTag = content.contentType() == ContentType.COMMIT
        ? Optional.of(random(32)) : Optional.empty();
    Optional<byte[]> membershipTag = sender instanceof Sender.Member ? Optional.of(random(32)) : Optional.empty();
    return new MlsMessage(MlsMessage.MLS10, new PublicMessage(content, random(64), confirmationTag, membershipTag))
        .toBytes();
  }

  /** A PrivateMessage of {@code contentType} whose ciphertext is {@code size} random bytes. */
  public static byte[] privateMessage(byte[] groupId, long epoch, ContentType contentType, int size) {
    return new MlsMessage(MlsMessage.MLS10, new PrivateMessage(groupId, epoch, contentType, new byte[0], random(32),
        random(size))).toBytes();
  }

  /** An application message (PrivateMessage) whose ciphertext is {@code size} random bytes. */
  public static byte[] application(byte[] groupId, long epoch, int size) {
    return privateMessage(groupId, epoch, ContentType.APPLICATION, size);
  }

  /** A Welcome of {@code suite} for the given KeyPackages, each named by its KeyPackageRef. */
  public static byte[] welcome(CipherSuite suite, List<KeyPackage> added) {
    return welcomeForRefs(suite, added.stream().map(kp -> keyPackageRef(suite, kp)).toList());
  }

  /** A Welcome naming exactly {@code refs}. */
  public static byte[] welcomeForRefs(CipherSuite suite, List<byte[]> refs) {
    List<Welcome.EncryptedGroupSecrets> secrets = refs.stream()
        .map(ref -> new Welcome.EncryptedGroupSecrets(ref,
            new HpkeCiphertext(random(suite.hpkePublicKeyLength()), random(80))))
        .toList();
    return new MlsMessage(MlsMessage.MLS10, new Welcome(suite.code(), secrets, random(200))).toBytes();
  }

  /** The KeyPackageRef (RFC 9420 section 5.2) of {@code keyPackage}. */
  public static byte[] keyPackageRef(CipherSuite suite, KeyPackage keyPackage) {
    return HashReferences.keyPackageRef(suite, keyPackage.toBytes());
  }

  /** A GroupInfo of the group at {@code epoch}, as an MLSMessage. */
  public static byte[] groupInfo(CipherSuite suite, byte[] groupId, long epoch) {
    return groupInfo(suite, groupId, epoch, List.of());
  }

  /** A GroupInfo of the group at {@code epoch} with {@code extensions}, as an MLSMessage. */
  public static byte[] groupInfo(CipherSuite suite, byte[] groupId, long epoch, List<Extension> extensions) {
    GroupContext context = new GroupContext(MlsMessage.MLS10, suite.code(), groupId, epoch, random(suite.hashLength()),
        random(suite.hashLength()), List.of());
    return new MlsMessage(MlsMessage.MLS10, new GroupInfo(context, extensions, random(suite.hashLength()), 0,
        random(64))).toBytes();
  }
}
