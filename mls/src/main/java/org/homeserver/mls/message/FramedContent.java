package org.homeserver.mls.message;

import org.homeserver.mls.codec.MlsDecodeException;
import org.homeserver.mls.codec.MlsReader;
import org.homeserver.mls.codec.MlsWriter;

/** The content of a PublicMessage (RFC 9420 section 6): group, epoch, sender and what is sent. */
public record FramedContent(byte[] groupId, long epoch, Sender sender, byte[] authenticatedData, Body body)
    implements Encodable {

  /** Application data, a proposal or a commit. */
  public sealed interface Body {
    ContentType contentType();
  }

  public record Application(byte[] data) implements Body {
    public ContentType contentType() {
      return ContentType.APPLICATION;
    }
  }

  public record ProposalBody(Proposal proposal) implements Body {
    public ContentType contentType() {
      return ContentType.PROPOSAL;
    }
  }

  public record CommitBody(Commit commit) implements Body {
    public ContentType contentType() {
      return ContentType.COMMIT;
    }
  }

  public ContentType contentType() {
    return body.contentType();
  }

  public static FramedContent decode(MlsReader r) throws MlsDecodeException {
    byte[] groupId = r.opaque("group_id");
    long epoch = r.u64("epoch");
    Sender sender = r.struct("sender", Sender::decode);
    byte[] authenticatedData = r.opaque("authenticated_data");
    int start = r.position();
    int type = r.u8("content_type");
    Body body = switch (ContentType.fromCode(type).orElseThrow(() ->
        r.errorAt("content_type", start, "unknown content type " + type))) {
      case APPLICATION -> new Application(r.opaque("application_data"));
      case PROPOSAL -> new ProposalBody(r.struct("proposal", Proposal::decode));
      case COMMIT -> new CommitBody(r.struct("commit", Commit::decode));
    };
    return new FramedContent(groupId, epoch, sender, authenticatedData, body);
  }

  @Override
  public void encode(MlsWriter w) {
    w.opaque(groupId).u64(epoch);
    sender.encode(w);
    w.opaque(authenticatedData).u8(body.contentType().code());
    switch (body) {
      case Application a -> w.opaque(a.data());
      case ProposalBody p -> p.proposal().encode(w);
      case CommitBody c -> c.commit().encode(w);
    }
  }
}
