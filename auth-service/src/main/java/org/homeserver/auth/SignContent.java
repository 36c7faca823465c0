package org.homeserver.auth;

import static java.nio.charset.StandardCharsets.UTF_8;

import org.homeserver.mls.codec.MlsWriter;
import org.homeserver.mls.crypto.LabeledSignatures;

/**
 * The bytes RFC 9420 SignWithLabel signs (section 5.1.2), and the contents of the two signatures the
 * Authentication Service asks of a client (auth.proto: proof of possession, session challenge).
 */
public final class SignContent {
  /** The label of the proof of possession in RegisterClient. */
  public static final String REGISTRATION_LABEL = "homeserver client registration";
  /** The label of the signed challenge in CreateSession. */
  public static final String SESSION_LABEL = "homeserver session";


  private SignContent() {}

  /** SignContent = opaque("MLS 1.0 " + label) || opaque(content): what SignWithLabel signs. */
  public static byte[] withLabel(String label, byte[] content) {
    return LabeledSignatures.signContent(label, content);
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
    MlsWriter w = new MlsWriter();
    for (byte[] value : values) {
      w.opaque(value);
    }
    return w.toByteArray();
  }
}
