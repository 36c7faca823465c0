package org.homeserver.notifier.fcm;

import java.net.URI;
import java.security.PrivateKey;
import java.util.Map;
import java.util.Objects;
import org.homeserver.notifier.jose.Json;
import org.homeserver.notifier.jose.Pem;

/**
 * A Google service account allowed to send through FCM: its project, its e-mail address (the
 * assertion's issuer), its RSA key and the token endpoint that trades assertions for access tokens.
 */
public record FcmCredentials(String projectId, String clientEmail, PrivateKey privateKey, URI tokenUri) {
  /** Google's token endpoint, when the key file names none. */
  public static final URI GOOGLE_TOKEN_URI = URI.create("https://oauth2.googleapis.com/token");

  public FcmCredentials {
    // The project id goes into the request path: letters, digits and the few marks Google allows.
    if (projectId == null || !projectId.matches("[A-Za-z0-9.:-]{1,100}")) {
      throw new IllegalArgumentException("the FCM project id is missing or malformed");
    }
    if (clientEmail == null || clientEmail.isBlank()) {
      throw new IllegalArgumentException("the FCM service account's client_email must be set");
    }
    Objects.requireNonNull(privateKey, "privateKey");
    if (!privateKey.getAlgorithm().equals("RSA")) {
      throw new IllegalArgumentException("a service account's key is an RSA key");
    }
    // The assertion sent there is as good as an access token for an hour.
    if (tokenUri == null || !"https".equals(tokenUri.getScheme()) || tokenUri.getHost() == null) {
      throw new IllegalArgumentException("the token endpoint must be an https URI");
    }
  }

  /**
   * The credentials in a service account's JSON key file (its {@code project_id},
   * {@code client_email}, {@code private_key} and optional {@code token_uri}).
   *
   * @throws IllegalArgumentException if it is not such a file; the message never quotes the key
   */
  public static FcmCredentials parse(String json) {
    Map<String, Object> key = Json.parseObject(json)
        .orElseThrow(() -> new IllegalArgumentException("a service account key is a JSON object"));
    if (key.containsKey("type") && !"service_account".equals(key.get("type"))) {
      throw new IllegalArgumentException("not a service account key: type " + key.get("type"));
    }
    return new FcmCredentials(
        member(key, "project_id"),
        member(key, "client_email"),
        Pem.privateKey(member(key, "private_key"), "RSA"),
        Json.string(key, "token_uri").map(URI::create).orElse(GOOGLE_TOKEN_URI));
  }

  /** Never the key: credentials end up in logs through the configuration. */
  @Override
  public String toString() {
    return "FcmCredentials[projectId=" + projectId + ", clientEmail=" + clientEmail + ", tokenUri=" + tokenUri + "]";
  }

  private static String member(Map<String, Object> key, String name) {
    return Json.string(key, name)
        .orElseThrow(() -> new IllegalArgumentException("the service account key has no " + name));
  }
}
