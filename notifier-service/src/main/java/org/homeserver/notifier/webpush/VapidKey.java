package org.homeserver.notifier.webpush;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jwt.JWTClaimsSet;
import java.net.URI;
import java.net.URISyntaxException;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.SecureRandom;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.Locale;
import org.homeserver.notifier.push.SignedJwts;

/**
 * The homeserver's VAPID key pair (RFC 8292), which signs every push.
 *
 * <p>Push services may bind a subscription to the key, so it must outlive restarts: hence PKCS#8 in and out.
 */
public final class VapidKey {
  /** How long a token is good for; push services refuse more than 24 hours. */
  public static final Duration TOKEN_LIFETIME = Duration.ofHours(12);
  private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();

  private final ECPrivateKey privateKey;
  private final byte[] publicKey;

  private VapidKey(ECPrivateKey privateKey) {
    P256.requireP256(privateKey.getParams());
    this.privateKey = privateKey;
    this.publicKey = P256.publicPoint(privateKey);
  }

  public static VapidKey generate(SecureRandom random) {
    return new VapidKey((ECPrivateKey) P256.generate(random).getPrivate());
  }

  /**
   * The key whose private half is this PKCS#8 DER; the public half is derived from it.
   *
   * @throws IllegalArgumentException if it is not a P-256 private key
   */
  public static VapidKey fromPkcs8(byte[] pkcs8) {
    try {
      if (KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(pkcs8)) instanceof ECPrivateKey key) {
        return new VapidKey(key);
      }
      throw new IllegalArgumentException("not an EC private key");
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("not a PKCS#8 EC private key: " + e.getMessage(), e);
    }
  }

  /** The private key as PKCS#8 DER, to store. */
  public byte[] pkcs8() {
    return privateKey.getEncoded();
  }

  /** The 65-byte uncompressed public point, as browsers take it in applicationServerKey. */
  public byte[] publicKey() {
    return publicKey.clone();
  }

  public String publicKeyBase64Url() {
    return BASE64URL.encodeToString(publicKey);
  }

  /**
   * The Authorization header value for a push to {@code endpoint}: {@code vapid t=<JWT>, k=<key>},
   * the JWT signed ES256 for the endpoint's origin, valid {@link #TOKEN_LIFETIME} from {@code now}.
   *
   * @param subject how the push service can reach the operator: a mailto: or https: URI
   */
  public String authorization(URI endpoint, String subject, Instant now) {
    requireSubject(subject);
    String token = SignedJwts.sign(new JWSHeader.Builder(JWSAlgorithm.ES256).type(JOSEObjectType.JWT).build(),
        new JWTClaimsSet.Builder()
            .audience(origin(endpoint))
            .expirationTime(Date.from(now.plus(TOKEN_LIFETIME)))
            .subject(subject)
            .build(),
        privateKey);
    return "vapid t=" + token + ", k=" + publicKeyBase64Url();
  }

  /**
   * Checks a VAPID subject as RFC 8292 section 2.1 asks for one.
   *
   * @throws IllegalArgumentException if it is neither a mailto: nor an https: URI
   */
  public static String requireSubject(String subject) {
    if (!isSubject(subject)) {
      throw new IllegalArgumentException("the VAPID subject is a mailto: or https: URI, not " + subject);
    }
    return subject;
  }

  /**
   * scheme://host[:port], the port only when it is not the scheme's default (RFC 6454).
   *
   * @throws IllegalArgumentException if the URI has no scheme or host
   */
  public static String origin(URI endpoint) {
    if (endpoint.getScheme() == null || endpoint.getHost() == null) {
      throw new IllegalArgumentException("not an http(s) URL: no scheme or host");
    }
    String scheme = endpoint.getScheme().toLowerCase(Locale.ROOT);
    String host = endpoint.getHost().toLowerCase(Locale.ROOT);
    int port = endpoint.getPort();
    boolean defaultPort = port == -1 || (scheme.equals("https") && port == 443) || (scheme.equals("http") && port == 80);
    return scheme + "://" + host + (defaultPort ? "" : ":" + port);
  }

  private static boolean isSubject(String subject) {
    try {
      URI uri = new URI(subject);
      String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
      return (scheme.equals("mailto") && !uri.getSchemeSpecificPart().isBlank())
          || (scheme.equals("https") && uri.getHost() != null);
    } catch (URISyntaxException e) {
      return false;
    }
  }
}
