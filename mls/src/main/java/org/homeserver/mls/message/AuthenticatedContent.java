package org.homeserver.mls.message;

import java.util.Optional;
import org.homeserver.mls.codec.MlsDecodeException;
import org.homeserver.mls.codec.MlsReader;
import org.homeserver.mls.codec.MlsWriter;

/**
 * A FramedContent as it was authenticated (RFC 9420 section 6.1): the wire format it was sent in, the
 * content, its signature and, for a commit, its confirmation tag. ProposalRefs and the transcript
 * hashes are computed over it, whether a PublicMessage or a PrivateMessage carried it.
 *
 * @param wireFormat      {@link WireFormat#PUBLIC_MESSAGE} or {@link WireFormat#PRIVATE_MESSAGE}
 * @param confirmationTag present exactly for commits (FramedContentAuthData)
 */
public record AuthenticatedContent(WireFormat wireFormat, FramedContent content, byte[] signature,
                                   Optional<byte[]> confirmationTag) implements Encodable {

  public AuthenticatedContent {
    if (!carriesFramedContent(wireFormat)) {
      throw new IllegalArgumentException(wireFormat.rfcName() + " carries no FramedContent");
    }
    if (confirmationTag.isPresent() != (content.contentType() == ContentType.COMMIT)) {
      throw new IllegalArgumentException("a confirmation tag comes with a commit and only with a commit");
    }
  }

  /** The AuthenticatedContent a PublicMessage carries: the message without its membership tag. */
  public static AuthenticatedContent of(PublicMessage message) {
    return new AuthenticatedContent(WireFormat.PUBLIC_MESSAGE, message.content(), message.signature(),
        message.confirmationTag());
  }

  public static AuthenticatedContent decode(MlsReader r) throws MlsDecodeException {
    int start = r.position();
    int code = r.u16("wire_format");
    WireFormat wireFormat = WireFormat.fromCode(code)
        .filter(AuthenticatedContent::carriesFramedContent)
        .orElseThrow(() -> r.errorAt("wire_format", start, "is " + code + " ("
            + WireFormat.fromCode(code).map(WireFormat::rfcName).orElse("no wire format")
            + "); framed content is sent as mls_public_message (1) or mls_private_message (2)"));
    FramedContent content = r.struct("content", FramedContent::decode);
    byte[] signature = r.opaque("signature");
    Optional<byte[]> confirmationTag = content.contentType() == ContentType.COMMIT
        ? Optional.of(r.opaque("confirmation_tag")) : Optional.empty();
    return new AuthenticatedContent(wireFormat, content, signature, confirmationTag);
  }

  @Override
  public void encode(MlsWriter w) {
    w.u16(wireFormat.code());
    content.encode(w);
    w.opaque(signature);
    confirmationTag.ifPresent(w::opaque);
  }

  private static boolean carriesFramedContent(WireFormat wireFormat) {
    return wireFormat == WireFormat.PUBLIC_MESSAGE || wireFormat == WireFormat.PRIVATE_MESSAGE;
  }
}
