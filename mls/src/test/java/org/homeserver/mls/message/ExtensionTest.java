package org.homeserver.mls.message;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.homeserver.mls.TestMessages;
import org.homeserver.mls.codec.MlsDecodeException;
import org.homeserver.mls.codec.MlsWriter;
import org.homeserver.mls.crypto.CipherSuite;
import org.junit.jupiter.api.Test;

/** Extension data is kept as received and decoded only when asked for. */
class ExtensionTest {
  private static final CipherSuite SUITE = CipherSuite.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;

  /** external_pub as ts-mls 1.6.4 writes it: the bare key, whose first byte reads as a length of 15,527. */
  private static byte[] bareKey() {
    byte[] key = TestMessages.random(32);
    key[0] = 0x7c;
    return key;
  }

  @Test
  void aGroupInfoWithAnExtensionNotAsItsTypeSaysDecodesAndEncodesBackAsReceived() throws MlsDecodeException {
    byte[] key = bareKey();
    byte[] bytes = TestMessages.groupInfo(SUITE, TestMessages.random(16), 3,
        List.of(new Extension(Extension.EXTERNAL_PUB, key)));

    MlsMessage message = MlsMessage.decode(bytes);

    Extension pub = assertInstanceOf(GroupInfo.class, message.body()).extensions().getFirst();
    assertArrayEquals(key, pub.data());
    assertArrayEquals(bytes, message.toBytes());
    MlsDecodeException e = assertThrows(MlsDecodeException.class, pub::known);
    assertTrue(e.field().startsWith("extension_data.external_pub"), e.field());
  }

  @Test
  void knownTypesDecodeWhenAsked() throws MlsDecodeException {
    byte[] key = bareKey();
    Extension pub = new Extension(Extension.EXTERNAL_PUB, new MlsWriter().opaque(key).toByteArray());
    assertArrayEquals(key, assertInstanceOf(Extension.ExternalPub.class, pub.known().orElseThrow()).externalPub());
    assertInstanceOf(Extension.LastResort.class, new Extension(Extension.LAST_RESORT, new byte[0]).known().orElseThrow());
    assertThrows(MlsDecodeException.class, () -> new Extension(Extension.LAST_RESORT, new byte[1]).known());
  }

  @Test
  void otherTypesHaveNoDecodedForm() throws MlsDecodeException {
    assertEquals(Optional.empty(), new Extension(0x0a0a, new byte[] {1, 2}).known());
  }
}
