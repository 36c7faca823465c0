package org.homeserver.mls.crypto;

import java.security.MessageDigest;
import org.homeserver.mls.codec.MlsWriter;

/**
 * The transcript hashes that chain a group's commits into its GroupContext (RFC 9420 section 8.2),
 * and the confirmation tag over them (section 8.1). Like {@link HashReferences}, these take the
 * encoded structures: ConfirmedTranscriptHashInput and InterimTranscriptHashInput of the message
 * package.
 */
public final class TranscriptHashes {
  private TranscriptHashes() {}

  /**
   * {@code confirmed_transcript_hash = Hash(interim_transcript_hash_before || ConfirmedTranscriptHashInput)}:
   * the value the commit's new epoch puts in its GroupContext.
   */
  public static byte[] confirmed(CipherSuite suite, byte[] interimBefore, byte[] confirmedInput) {
    return suite.hash(new MlsWriter().raw(interimBefore).raw(confirmedInput).toByteArray());
  }

  /**
   * {@code interim_transcript_hash = Hash(confirmed_transcript_hash || InterimTranscriptHashInput)}:
   * what the next commit's confirmed transcript hash starts from.
   */
  public static byte[] interim(CipherSuite suite, byte[] confirmed, byte[] interimInput) {
    return suite.hash(new MlsWriter().raw(confirmed).raw(interimInput).toByteArray());
  }

  /**
   * Whether {@code confirmationTag} is {@code MAC(confirmation_key, confirmed_transcript_hash)}, compared
   * in constant time. Only members can ask: the confirmation key comes out of the key schedule of the
   * new epoch (section 8), which a server never learns, so a server cannot check a confirmation tag,
   * although it can compute both transcript hashes of the commits it sees as PublicMessages.
   */
  public static boolean confirmationTagMatches(CipherSuite suite, byte[] confirmationKey, byte[] confirmed,
      byte[] confirmationTag) {
    return MessageDigest.isEqual(suite.mac(confirmationKey, confirmed), confirmationTag);
  }
}
