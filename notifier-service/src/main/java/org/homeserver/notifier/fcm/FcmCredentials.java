package org.homeserver.notifier.fcm;

import java.net.URI;
import java.security.PrivateKey;
import java.util.Objects;
import java.util.Optional;
import org.homeserver.notifier.push.JsonBodies;
import org.homeserver.notifier.push.PemPrivateKey;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

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
    JsonNode key = object(json);
    JsonNode type = key.path("type");
    if (!type.isMissingNode() && !type.stringValueOpt().equals(Optional.of("service_account"))) {
      throw new IllegalArgumentException("not a service account key: type " + type);
    }
    return new FcmCredentials(
        member(key, "project_id"),
        member(key, "client_email"),
        PemPrivateKey.read(member(key, "private_key"), "RSA"),
        key.path("token_uri").stringValueOpt().map(URI::create).orElse(GOOGLE_TOKEN_URI));
  }

  /** Never the key: credentials end up in logs through the configuration. */
  @Override
  public String toString() {
    return "FcmCredentials[projectId=" + projectId + ", clientEmail=" + clientEmail + ", tokenUri=" + tokenUri + "]";
  }

  private static JsonNode object(String json) {
    try {
      JsonNode key = JsonBodies.parse(json);
      if (key.isObject()) {
        return key;
      }
    } catch (JacksonException notJson) {
      // Said below; Jackson's message would quote the text, which holds the key.
    }
    throw new IllegalArgumentException("a service account key is a JSON object");
  }

  private static String member(JsonNode key, String name) {
    return key.path(name).stringValueOpt()
        .orElseThrow(() -> new IllegalArgumentException("the service account key has no " + name));
  }
}
