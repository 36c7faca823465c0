package org.homeserver.mls.message;

import java.util.Locale;
import org.homeserver.mls.codec.MlsWriter;

/** What a commit adds to the interim transcript hash (RFC 9420 section 8.2): its confirmation tag. */
public record InterimTranscriptHashInput(byte[] confirmationTag) implements Encodable {

  /** The input of an AuthenticatedContent that carries a commit. */
  public static InterimTranscriptHashInput of(AuthenticatedContent commit) {
    String type = commit.content().contentType().name().toLowerCase(Locale.ROOT);
    return new InterimTranscriptHashInput(commit.confirmationTag().orElseThrow(() ->
        new IllegalArgumentException("only a commit has a confirmation tag, not a " + type)));
  }

  @Override
  public void encode(MlsWriter w) {
    w.opaque(confirmationTag);
  }
}
