package org.homeserver.mls.crypto;

import java.nio.charset.StandardCharsets;
import org.homeserver.mls.codec.MlsWriter;

/** The labels of RFC 9420's labeled signatures, encryptions and key derivations (sections 5.1 and 8). */
final class Labels {
  private static final String PREFIX = "MLS 1.0 ";

  private Labels() {}

  /** {@code "MLS 1.0 " + label}, the bytes that go on the wire, so no two protocols' labels meet. */
  static byte[] prefixed(String label) {
    return (PREFIX + label).getBytes(StandardCharsets.UTF_8);
  }

  /**
   * {@code opaque("MLS 1.0 " + label) || opaque(content)}: SignContent (section 5.1.2) and
   * EncryptContext (section 5.1.3) alike.
   */
  static byte[] withContent(String label, byte[] content) {
    return new MlsWriter().opaque(prefixed(label)).opaque(content).toByteArray();
  }
}
