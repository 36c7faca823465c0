package org.homeserver.notifier.testing;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jwt.SignedJWT;
import java.security.interfaces.ECPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.homeserver.notifier.webpush.P256;

/** Checks a VAPID Authorization header (RFC 8292) the way a push service does before it takes a push. */
public final class VapidVerifier {
  /** RFC 8292 section 2: push services refuse tokens that last longer than this. */
  public static final Duration MAX_LIFETIME = Duration.ofHours(24);
  private static final Base64.Decoder BASE64URL = Base64.getUrlDecoder();

  private VapidVerifier() {}

  /**
   * The claims of {@code header} if it is {@code vapid t=<JWT>, k=<key>} with an ES256 JWT signed by k,
   * for {@code origin}, unexpired at {@code now} and no more than 24 h ahead, from a mailto: or https:
   * subject, and k is {@code expectedKey} when one is given.
   */
  public static VapidClaims verify(String header, String origin, Instant now, Optional<byte[]> expectedKey)
      throws InvalidPush {
    Map<String, String> parameters = parameters(header);
    byte[] key = decodeKey(required(parameters, "k"));
    if (expectedKey.isPresent() && !Arrays.equals(expectedKey.get(), key)) {
      throw new InvalidPush("k is not the expected VAPID key");
    }
    SignedJWT jwt = VerifiedJwt.of(required(parameters, "t"), JWSAlgorithm.ES256, publicKey(key))
        .orElseThrow(() -> new InvalidPush("t is not an ES256 JWT, or its signature does not verify with k"));
    // The claims as JSON values rather than Nimbus's JWTClaimsSet, which would take exp as a
    // fraction or refuse it without saying which claim is wrong.
    Map<String, Object> claims = jwt.getPayload().toJSONObject();
    if (claims == null) {
      throw new InvalidPush("the JWT's claims are not a JSON object");
    }
    return claims(claims, origin, now, key);
  }

  private static VapidClaims claims(Map<String, Object> claims, String origin, Instant now, byte[] key)
      throws InvalidPush {
    if (!origin.equals(claims.get("aud"))) {
      throw new InvalidPush("aud is " + claims.get("aud") + ", not " + origin);
    }
    if (!(claims.get("exp") instanceof Long exp)) {
      throw new InvalidPush("exp is missing or not a whole number of seconds");
    }
    // Clamped so that a wild exp is refused below instead of breaking Instant; no bound is near now.
    Instant expiry = Instant.ofEpochSecond(Math.clamp(exp, Instant.MIN.getEpochSecond(), Instant.MAX.getEpochSecond()));
    if (!expiry.isAfter(now)) {
      throw new InvalidPush("the JWT expired at " + expiry);
    }
    if (expiry.isAfter(now.plus(MAX_LIFETIME))) {
      throw new InvalidPush("exp is more than 24 hours ahead");
    }
    if (!(claims.get("sub") instanceof String subject
        && (subject.startsWith("mailto:") || subject.startsWith("https:")))) {
      throw new InvalidPush("sub is missing or not a mailto: or https: URI");
    }
    return new VapidClaims(origin, expiry, subject, key);
  }

  private static Map<String, String> parameters(String header) throws InvalidPush {
    if (header == null || !header.regionMatches(true, 0, "vapid ", 0, 6)) {
      throw new InvalidPush("Authorization is not of the vapid scheme");
    }
    Map<String, String> parameters = new HashMap<>();
    for (String parameter : header.substring(6).split(",")) {
      String[] nameValue = parameter.trim().split("=", 2);
      if (nameValue.length == 2) {
        parameters.put(nameValue[0].trim().toLowerCase(Locale.ROOT), nameValue[1].trim());
      }
    }
    return parameters;
  }

  private static ECPublicKey publicKey(byte[] key) throws InvalidPush {
    try {
      return P256.publicKey(key);
    } catch (IllegalArgumentException e) {
      throw new InvalidPush("k is not a P-256 key: " + e.getMessage());
    }
  }

  private static String required(Map<String, String> parameters, String name) throws InvalidPush {
    String value = parameters.get(name);
    if (value == null || value.isEmpty()) {
      throw new InvalidPush("Authorization has no " + name + "=");
    }
    return value;
  }

  private static byte[] decodeKey(String base64Url) throws InvalidPush {
    if (base64Url.contains("=")) {
      throw new InvalidPush("k is padded base64url");
    }
    try {
      return BASE64URL.decode(base64Url);
    } catch (IllegalArgumentException e) {
      throw new InvalidPush("k is not base64url");
    }
  }
}
