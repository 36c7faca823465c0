package org.homeserver.auth;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.ByteArrayOutputStream;

/**
 * The bytes RFC 9420 SignWithLabel signs (section 5.1.2), and the contents of the two signatures the
 * Authentication Service asks of a client (auth.proto: proof of possession, session challenge).
 */
public final class SignContent {
  /** The label of the proof of possession in RegisterClient. */
  public static final String REGISTRATION_LABEL = "homeserver client registration";
  /** The label of the signed challenge in CreateSession. */
  public static final String SESSION_LABEL = "homeserver session";

  private static final String MLS_LABEL_PREFIX = "MLS 1.0 ";
  private static final int MAX_VECTOR_LENGTH = (1 << 30) - 1;

  private SignContent() {}

  /** SignContent = opaque("MLS 1.0 " + label) || opaque(content): what SignWithLabel signs. */
  public static byte[] withLabel(String label, byte[] content) {
    return opaque((MLS_LABEL_PREFIX + label).getBytes(UTF_8), content);
  }

  /** The proof-of-possession content: opaque(user_id) || opaque(signature_public_key). */
  public static byte[] registration(String userId, byte[] signaturePublicKey) {
    return opaque(userId.getBytes(UTF_8), signaturePublicKey);
  }

  /** The session-challenge content: opaque(client_id) || opaque(nonce). */
  public static byte[] session(String clientId, byte[] nonce) {
    return opaque(clientId.getBytes(UTF_8), nonce);
  }

  /** Each value as an MLS {@code opaque<V>}, one after the other. */
  public static byte[] opaque(byte[]... values) {
    var out = new ByteArrayOutputStream();
    for (byte[] value : values) {
      out.writeBytes(lengthPrefix(value.length));
      out.writeBytes(value);
    }
    return out.toByteArray();
  }

  /** The minimal MLS (QUIC-style) variable-length integer for a vector length: 1, 2 or 4 bytes. */
  static byte[] lengthPrefix(int length) {
    if (length < 0 || length > MAX_VECTOR_LENGTH) {
      throw new IllegalArgumentException("an MLS vector holds 0 to 2^30 - 1 bytes, not " + length);
    }
    if (length < 1 << 6) {
      return new byte[] {(byte) length};
    }
    if (length < 1 << 14) {
      return new byte[] {(byte) (0x40 | length >>> 8), (byte) length};
    }
    return new byte[] {(byte) (0x80 | length >>> 24), (byte) (length >>> 16), (byte) (length >>> 8), (byte) length};
  }
}
