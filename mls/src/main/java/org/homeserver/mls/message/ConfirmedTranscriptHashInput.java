package org.homeserver.mls.message;

import java.util.Locale;
import org.homeserver.mls.codec.MlsWriter;

/**
 * What a commit adds to the confirmed transcript hash (RFC 9420 section 8.2): the commit as it was
 * framed and signed, without its confirmation tag, which is computed from the result.
 */
public record ConfirmedTranscriptHashInput(WireFormat wireFormat, FramedContent content, byte[] signature)
    implements Encodable {

  public ConfirmedTranscriptHashInput {
    if (content.contentType() != ContentType.COMMIT) {
      throw new IllegalArgumentException(
          "only a commit enters the transcript, not a " + content.contentType().name().toLowerCase(Locale.ROOT));
    }
  }

  /** The input of an AuthenticatedContent that carries a commit. */
  public static ConfirmedTranscriptHashInput of(AuthenticatedContent commit) {
    return new ConfirmedTranscriptHashInput(commit.wireFormat(), commit.content(), commit.signature());
  }

  @Override
  public void encode(MlsWriter w) {
    w.u16(wireFormat.code());
    content.encode(w);
    w.opaque(signature);
  }
}
