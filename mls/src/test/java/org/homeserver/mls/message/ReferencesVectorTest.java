package org.homeserver.mls.message;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.homeserver.mls.TestVectors;
import org.homeserver.mls.codec.MlsDecodeException;
import org.homeserver.mls.crypto.CipherSuite;
import org.homeserver.mls.crypto.HashReferences;
import org.junit.jupiter.api.Test;

/**
 * The Welcome routing a server does: the KeyPackageRef of each joiner's KeyPackage is one of the
 * Welcome's new-member refs, in every welcome and passive-client vector; and every PublicMessage of
 * the passive-client commit vectors decodes and re-encodes exactly.
 */
class ReferencesVectorTest {
  private static void assertJoinerIsNamed(String file) throws MlsDecodeException {
    List<Map<String, Object>> cases = TestVectors.load(file);
    assertTrue(!cases.isEmpty(), file);
    for (int i = 0; i < cases.size(); i++) {
      Map<String, Object> c = cases.get(i);
      CipherSuite suite = CipherSuite.fromCode(((Number) c.get("cipher_suite")).intValue()).orElseThrow();
      MlsMessage keyPackage = MlsMessage.decode(TestVectors.hex((String) c.get("key_package")));
      Welcome welcome = (Welcome) MlsMessage.decode(TestVectors.hex((String) c.get("welcome"))).body();
      byte[] ref = HashReferences.keyPackageRef(suite, ((MlsMessage.KeyPackageBody) keyPackage.body()).keyPackage().toBytes());
      assertEquals(suite.code(), welcome.cipherSuite(), file + " case " + i);
      assertTrue(welcome.secrets().stream().anyMatch(s -> Arrays.equals(s.newMember(), ref)),
          file + " case " + i + ": the KeyPackageRef names no new member of the Welcome");
    }
  }

  @Test
  void welcomeVectorsNameTheJoinersKeyPackage() throws MlsDecodeException {
    assertJoinerIsNamed("welcome.json");
  }

  @Test
  void passiveClientWelcomeVectorsNameTheJoinersKeyPackage() throws MlsDecodeException {
    assertJoinerIsNamed("passive-client-welcome.json");
  }

  @Test
  void passiveClientCommitVectorsNameTheJoinersKeyPackage() throws MlsDecodeException {
    assertJoinerIsNamed("passive-client-handling-commit.json");
  }

  @Test
  void everyPublicMessageOfThePassiveClientCommitVectorsRoundTrips() {
    int messages = 0;
    List<Map<String, Object>> cases = TestVectors.load("passive-client-handling-commit.json");
    for (int i = 0; i < cases.size(); i++) {
      @SuppressWarnings("unchecked")
      List<Map<String, Object>> epochs = (List<Map<String, Object>>) cases.get(i).get("epochs");
      for (int e = 0; e < epochs.size(); e++) {
        @SuppressWarnings("unchecked")
        List<String> proposals = (List<String>) epochs.get(e).get("proposals");
        List<String> all = new java.util.ArrayList<>(proposals);
        all.add((String) epochs.get(e).get("commit"));
        for (String hex : all) {
          byte[] bytes = TestVectors.hex(hex);
          String where = "passive-client-handling-commit.json case " + i + " epoch " + e;
          try {
            MlsMessage message = MlsMessage.decode(bytes);
            assertEquals(WireFormat.PUBLIC_MESSAGE, message.wireFormat(), where);
            assertArrayEquals(bytes, message.toBytes(), where);
          } catch (MlsDecodeException ex) {
            fail(where + ": " + ex.getMessage());
          }
          messages++;
        }
      }
    }
    assertEquals(266, messages, "the number of messages SOURCE.md counts");
  }
}
