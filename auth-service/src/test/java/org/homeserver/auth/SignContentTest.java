package org.homeserver.auth;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import org.junit.jupiter.api.Test;

class SignContentTest {

  @Test
  void opaqueWritesEachValueAfterItsLength() {
    byte[] longer = new byte[300];
    longer[299] = 7;
    var expected = new ByteArrayOutputStream();
    expected.writeBytes(new byte[] {0x02, 'h', 'i', 0x00, 0x41, 0x2c});
    expected.writeBytes(longer);

    assertArrayEquals(expected.toByteArray(), SignContent.opaque("hi".getBytes(UTF_8), new byte[0], longer));
  }

  @Test
  void signContentPrefixesTheLabelWithMls10() {
    byte[] expected = concat(new byte[] {9}, "MLS 1.0 x".getBytes(UTF_8), new byte[] {2, 0x0a, 0x0b});

    assertArrayEquals(expected, SignContent.withLabel("x", new byte[] {0x0a, 0x0b}));
  }

  @Test
  void proofOfPossessionContentIsTheUserIdThenTheKey() {
    String userId = "mimi://example.org/u/alice";
    byte[] key = new byte[32];

    byte[] expected = concat(new byte[] {(byte) userId.length()}, userId.getBytes(UTF_8), new byte[] {32}, key);
    assertArrayEquals(expected, SignContent.registration(userId, key));
  }

  @Test
  void sessionContentIsTheClientIdThenTheNonce() {
    String clientId = "mimi://example.org/c/alice/0f8fad5b-d9cb-469f-a165-70867728950e";
    byte[] nonce = new byte[32];

    byte[] expected = concat(new byte[] {(byte) clientId.length()}, clientId.getBytes(UTF_8), new byte[] {32}, nonce);
    assertArrayEquals(expected, SignContent.session(clientId, nonce));
  }

  @Test
  void theLabelsAreTheOnesTheContractNames() {
    assertEquals("homeserver client registration", SignContent.REGISTRATION_LABEL);
    assertEquals("homeserver session", SignContent.SESSION_LABEL);
  }

  private static byte[] concat(byte[]... parts) {
    var out = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.writeBytes(part);
    }
    return out.toByteArray();
  }
}
