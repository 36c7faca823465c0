package org.homeserver.notifier.jose;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;

/**
 * Compact JSON Web Signatures (RFC 7515) with ES256 or RS256: the JWTs APNs takes as provider
 * tokens, Google's token endpoint takes as assertions and Web Push services take as VAPID tokens.
 */
public final class Jws {
  private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder BASE64URL_DECODER = Base64.getUrlDecoder();

  private Jws() {}

  /** The two signature algorithms in use, by their JOSE names (RFC 7518 section 3.1). */
  public enum Algorithm {
    // JOSE wants the raw r||s pair (RFC 7518 section 3.4), not the DER the JDK's plain ECDSA makes.
    ES256("SHA256withECDSAinP1363Format"),
    RS256("SHA256withRSA");

    private final String jcaName;

    Algorithm(String jcaName) {
      this.jcaName = jcaName;
    }
  }

  /** The header and claims of a token whose signature checked out. */
  public record Verified(Map<String, Object> header, Map<String, Object> claims) {}

  /**
   * {@code header} and {@code claims} signed with {@code key}, as {@code header.claims.signature}.
   *
   * @throws IllegalArgumentException if the key does not suit the algorithm
   */
  public static String sign(Algorithm algorithm, Map<String, ?> header, Map<String, ?> claims, PrivateKey key) {
    String signingInput = encode(Json.write(header)) + "." + encode(Json.write(claims));
    try {
      Signature signer = Signature.getInstance(algorithm.jcaName);
      signer.initSign(key);
      signer.update(signingInput.getBytes(StandardCharsets.US_ASCII));
      return signingInput + "." + BASE64URL.encodeToString(signer.sign());
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("cannot sign " + algorithm + " with a " + key.getAlgorithm() + " key", e);
    }
  }

  /**
   * The header and claims of {@code token} if it is a compact JWS whose header names
   * {@code algorithm} and whose signature {@code key} verifies; empty otherwise.
   */
  public static Optional<Verified> verify(String token, Algorithm algorithm, PublicKey key) {
    String[] parts = token.split("\\.", -1);
    // RFC 7515 section 2: base64url without padding. The JDK's decoder takes padding too, which would let
    // two spellings of one token verify.
    if (parts.length != 3 || token.indexOf('=') >= 0) {
      return Optional.empty();
    }
    try {
      Optional<Map<String, Object>> header = Json.parseObject(decode(parts[0]));
      Optional<Map<String, Object>> claims = Json.parseObject(decode(parts[1]));
      if (header.isEmpty() || claims.isEmpty()
          || !algorithm.name().equals(header.get().get("alg"))) {
        return Optional.empty();
      }
      Signature verifier = Signature.getInstance(algorithm.jcaName);
      verifier.initVerify(key);
      verifier.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
      return verifier.verify(BASE64URL_DECODER.decode(parts[2]))
          ? Optional.of(new Verified(header.get(), claims.get()))
          : Optional.empty();
    } catch (IllegalArgumentException | GeneralSecurityException e) {
      return Optional.empty();
    }
  }

  private static String encode(String json) {
    return BASE64URL.encodeToString(json.getBytes(StandardCharsets.UTF_8));
  }

  private static String decode(String part) {
    return new String(BASE64URL_DECODER.decode(part), StandardCharsets.UTF_8);
  }
}
