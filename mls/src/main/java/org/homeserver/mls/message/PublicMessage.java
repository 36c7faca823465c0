package org.homeserver.mls.message;

import java.util.Optional;
import org.homeserver.mls.codec.MlsDecodeException;
import org.homeserver.mls.codec.MlsReader;
import org.homeserver.mls.codec.MlsWriter;

/**
 * A signed, unencrypted message (RFC 9420 section 6.2): what the server reads in full, so it can
 * order commits and follow the membership.
 *
 * @param confirmationTag present exactly for commits
 * @param membershipTag   present exactly for member senders
 */
public record PublicMessage(FramedContent content, byte[] signature, Optional<byte[]> confirmationTag,
                            Optional<byte[]> membershipTag) implements Encodable, MlsMessage.Body {

  public static PublicMessage decode(MlsReader r) throws MlsDecodeException {
    FramedContent content = r.struct("content", FramedContent::decode);
    byte[] signature = r.opaque("signature");
    Optional<byte[]> confirmationTag = content.contentType() == ContentType.COMMIT
        ? Optional.of(r.opaque("confirmation_tag")) : Optional.empty();
    Optional<byte[]> membershipTag = content.sender() instanceof Sender.Member
        ? Optional.of(r.opaque("membership_tag")) : Optional.empty();
    return new PublicMessage(content, signature, confirmationTag, membershipTag);
  }

  @Override
  public void encode(MlsWriter w) {
    content.encode(w);
    w.opaque(signature);
    confirmationTag.ifPresent(w::opaque);
    membershipTag.ifPresent(w::opaque);
  }

  /**
   * The encoded AuthenticatedContent (RFC 9420 section 6.1) of this message: the input of its
   * ProposalRef when it carries a proposal. {@link AuthenticatedContent#of} gives the structure.
   */
  public byte[] authenticatedContent() {
    return AuthenticatedContent.of(this).toBytes();
  }

  @Override
  public WireFormat wireFormat() {
    return WireFormat.PUBLIC_MESSAGE;
  }
}
