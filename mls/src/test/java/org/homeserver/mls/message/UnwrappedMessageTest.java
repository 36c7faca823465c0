package org.homeserver.mls.message;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Instant;
import java.util.List;
import org.homeserver.mls.TestKeyPackages;
import org.homeserver.mls.TestMessages;
import org.homeserver.mls.codec.MlsDecodeException;
import org.homeserver.mls.crypto.CipherSuite;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A structure an MLSMessage carries, sent without the MLSMessage around it, is named as what it is:
 * its first bytes would otherwise be read as a version and a wire format they are not, and the
 * error would point at a field deep inside a message it never was.
 */
class UnwrappedMessageTest {
  private static final CipherSuite SUITE = CipherSuite.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;

  @ParameterizedTest
  @EnumSource(CipherSuite.class)
  void aBareKeyPackageIsNamedWithTheWireFormatReadAndTheMessageExpected(CipherSuite suite) {
    byte[] bare = TestKeyPackages.create(suite, "alice", Instant.now()).toBytes();
    MlsDecodeException e = assertThrows(MlsDecodeException.class, () -> MlsMessage.decode(bare));
    assertEquals("mls_message.wire_format", e.field());
    assertEquals(2, e.offset());
    String read = WireFormat.fromCode(suite.code()).map(f -> suite.code() + " (" + f.rfcName() + ")")
        .orElse(suite.code() + " (no wire format)");
    assertEquals("is " + read + ": these bytes are a bare KeyPackage, not an MLSMessage; send it as "
        + "MLSMessage{version = mls10 (1), wire_format = mls_key_package (5), key_package}", e.reason());
  }

  @Test
  void aBareWelcomeOrGroupInfoIsNamedAsWell() throws MlsDecodeException {
    byte[] welcome = MlsMessage.decode(TestMessages.welcome(SUITE,
        List.of(TestKeyPackages.create(SUITE, "bob", Instant.now())))).body().toBytes();
    MlsDecodeException e = assertThrows(MlsDecodeException.class, () -> MlsMessage.decode(welcome));
    assertEquals("mls_message.wire_format", e.field());
    assertEquals(": these bytes are a bare Welcome, not an MLSMessage; send it as MLSMessage{version = mls10 (1), "
        + "wire_format = mls_welcome (3), welcome}", e.reason().substring(e.reason().indexOf(':')));

    byte[] groupInfo = MlsMessage.decode(TestMessages.groupInfo(SUITE, TestMessages.random(16), 3)).body().toBytes();
    MlsDecodeException info = assertThrows(MlsDecodeException.class, () -> MlsMessage.decode(groupInfo));
    assertEquals(": these bytes are a bare GroupInfo, not an MLSMessage; send it as MLSMessage{version = mls10 (1), "
        + "wire_format = mls_group_info (4), group_info}", info.reason().substring(info.reason().indexOf(':')));
  }

  @Test
  void otherMalformedInputKeepsItsOwnError() {
    byte[] truncated = TestMessages.application(TestMessages.random(16), 1, 32);
    byte[] cut = java.util.Arrays.copyOf(truncated, truncated.length - 3);
    MlsDecodeException e = assertThrows(MlsDecodeException.class, () -> MlsMessage.decode(cut));
    assertEquals(false, e.field().equals("mls_message.wire_format"), e.getMessage());
  }
}
