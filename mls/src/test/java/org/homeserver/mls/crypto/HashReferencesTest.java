package org.homeserver.mls.crypto;

import static org.homeserver.mls.TestVectors.hex;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.homeserver.mls.TestVectors;
import org.homeserver.mls.codec.MlsDecodeException;
import org.homeserver.mls.codec.MlsReader;
import org.homeserver.mls.codec.MlsWriter;
import org.junit.jupiter.api.Test;

/**
 * ProposalRef on real messages: each proposal's ref must be one that another implementation put in
 * its commit. Only the header fields needed are read here; full decoding is the message package's job
 * (whose tests also check KeyPackageRef against the Welcome vectors).
 */
class HashReferencesTest {
  private static final int WIRE_FORMAT_PUBLIC_MESSAGE = 1;
  private static final int SENDER_MEMBER = 1;

  @Test
  void proposalRefOfEachProposalIsReferencedByTheCommitThatFollows() throws MlsDecodeException {
    int checked = 0;
    for (Map<String, Object> c : TestVectors.load("passive-client-handling-commit.json")) {
      CipherSuite suite = CipherSuite.fromCode(((Number) c.get("cipher_suite")).intValue()).orElseThrow();
      for (Map<String, Object> epoch : list(c, "epochs")) {
        byte[] commit = hex((String) epoch.get("commit"));
        for (Object proposal : (List<?>) epoch.get("proposals")) {
          byte[] ref = HashReferences.proposalRef(suite, authenticatedContent(suite, hex((String) proposal)));
          // The commit lists the ref as opaque<V>; a 32- to 64-byte hash found there is no accident.
          assertTrue(TestBytes.contains(commit, new MlsWriter().opaque(ref).toByteArray()), suite + " proposal");
          checked++;
        }
      }
    }
    assertEquals(84, checked, "every proposal of the file");
  }

  // AuthenticatedContent is the PublicMessage after the version field, minus a member's membership tag.
  private static byte[] authenticatedContent(CipherSuite suite, byte[] message) throws MlsDecodeException {
    MlsReader r = MlsReader.of(message);
    r.u16("version");
    assertEquals(WIRE_FORMAT_PUBLIC_MESSAGE, r.u16("wire_format"));
    r.opaque("group_id");
    r.u64("epoch");
    assertEquals(SENDER_MEMBER, r.u8("sender_type"));
    int tagLength = new MlsWriter().opaque(new byte[suite.hashLength()]).toByteArray().length;
    byte[] tag = Arrays.copyOfRange(message, message.length - tagLength, message.length);
    assertEquals(suite.hashLength(), MlsReader.decodeAll(tag, "membership_tag", t -> t.opaque("mac")).length);
    return Arrays.copyOfRange(message, 2, message.length - tagLength);
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> list(Map<String, Object> c, String field) {
    return (List<Map<String, Object>>) c.get(field);
  }
}
