package org.homeserver.mls;

import java.security.SecureRandom;
import java.util.List;
import java.util.Optional;
import org.homeserver.mls.crypto.CipherSuite;
import org.homeserver.mls.crypto.HashReferences;
import org.homeserver.mls.message.ContentType;
import org.homeserver.mls.message.Extension;
import org.homeserver.mls.message.FramedContent;
import org.homeserver.mls.message.GroupContext;
import org.homeserver.mls.message.GroupInfo;
import org.homeserver.mls.message.HpkeCiphertext;
import org.homeserver.mls.message.KeyPackage;
import org.homeserver.mls.message.MlsMessage;
import org.homeserver.mls.message.PrivateMessage;
import org.homeserver.mls.message.PublicMessage;
import org.homeserver.mls.message.Sender;
import org.homeserver.mls.message.Welcome;

/**
 * MLS messages of the right shape, encoded with the codec for tests and benchmarks: application
 * messages as PrivateMessage, Welcomes naming the KeyPackages a commit adds, PublicMessages and
 * GroupInfos for codec tests. Everything a server reads to route them is real (group id, epoch,
 * sender, KeyPackageRefs); what only members can check (tags, HPKE ciphertexts, the encrypted
 * content) is random bytes of the right length, and so are the signatures of
 * {@link #publicMessage} and {@link #groupInfo}. Commits, proposals and GroupInfos that a server
 * following the group's state accepts come from {@link TestGroup}.
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
