package org.homeserver.notifier.testing;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.text.ParseException;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import org.homeserver.notifier.push.JsonBodies;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A stand-in for FCM and Google's token endpoint: trades service-account assertions for access
 * tokens, checks them and the message on {@code messages:send}, records the messages it accepts,
 * and answers 200 unless a test scripted another answer.
 */
public final class FcmFake extends HttpsFake {
  public static final String PROJECT_ID = "homeserver-test";
  public static final String CLIENT_EMAIL = "notifier@homeserver-test.iam.gserviceaccount.com";
  public static final long ACCESS_TOKEN_SECONDS = 3600;

  private static final String SCOPE = "https://www.googleapis.com/auth/firebase.messaging";
  private static final String GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer";
  private static final Set<String> MESSAGE_FIELDS =
      Set.of("token", "data", "android", "notification", "apns", "webpush", "fcm_options", "name");
  private static final Set<String> ANDROID_FIELDS = Set.of("priority", "ttl", "collapse_key",
      "restricted_package_name", "data", "notification", "fcm_options", "direct_boot_ok");

  /** A message FCM accepted: the device's registration token, the access token used, the body. */
  public record Received(String registrationToken, String accessToken, String body) {
    /** The body as JSON. */
    public JsonNode json() {
      return JsonBodies.parse(body);
    }
  }

  private final KeyPair serviceAccountKey;
  private final Clock clock;
  private final SecureRandom random = new SecureRandom();
  private final Map<String, Instant> accessTokens = new ConcurrentHashMap<>();
  private final List<String> issued = new CopyOnWriteArrayList<>();
  private final List<Received> received = new CopyOnWriteArrayList<>();
  private final Queue<Answer> tokenAnswers = new ConcurrentLinkedQueue<>();

  private FcmFake(KeyPair serviceAccountKey, Clock clock) {
    this.serviceAccountKey = serviceAccountKey;
    this.clock = clock;
  }

  /** A fake with a new service account (RSA 2048), judging token ages by {@code clock}. */
  public static FcmFake start(Clock clock) {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(2048);
      FcmFake fake = new FcmFake(generator.generateKeyPair(), clock);
      fake.start();
      return fake;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The token endpoint. */
  public URI tokenUri() {
    return URI.create(uri() + "/token");
  }

  /** The service account's JSON key file, as Google's console hands it out, pointing at this fake. */
  public String serviceAccountJson() {
    return JsonBodies.write(JsonBodies.object()
        .put("type", "service_account")
        .put("project_id", PROJECT_ID)
        .put("private_key_id", "0123456789abcdef")
        .put("private_key", PrivateKeyPem.of(serviceAccountKey.getPrivate()))
        .put("client_email", CLIENT_EMAIL)
        .put("client_id", "123456789012345678901")
        .put("token_uri", tokenUri().toString()));
  }

  /** An error answer as FCM gives one: the status and, if not empty, an FcmError detail code. */
  public static Answer error(int code, String status, String fcmErrorCode) {
    ObjectNode body = JsonBodies.object();
    ObjectNode error = body.putObject("error").put("code", code).put("message", "scripted").put("status", status);
    if (!fcmErrorCode.isEmpty()) {
      error.putArray("details").addObject()
          .put("@type", "type.googleapis.com/google.firebase.fcm.v1.FcmError").put("errorCode", fcmErrorCode);
    }
    return Answer.of(code, JsonBodies.write(body));
  }

  /** Queues {@code answer} for the next token request whose assertion checks out. */
  public void answerNextTokenRequest(Answer answer) {
    tokenAnswers.add(answer);
  }

  /** Makes every access token issued so far unacceptable, as a revoked key would. */
  public void revokeAccessTokens() {
    accessTokens.clear();
  }

  /** The access tokens issued so far, oldest first. */
  public List<String> issuedAccessTokens() {
    return List.copyOf(issued);
  }

  /** The messages accepted so far, oldest first. */
  public List<Received> received() {
    return List.copyOf(received);
  }

  @Override
  protected Answer answer(Request request) {
    if (request.method().equals("POST") && request.path().equals("/token")) {
      return token(request);
    }
    if (request.method().equals("POST") && request.path().equals("/v1/projects/" + PROJECT_ID + "/messages:send")) {
      return send(request);
    }
    return error(404, "NOT_FOUND", "");
  }

  private Answer token(Request request) {
    Map<String, String> form = form(request.body());
    if (!request.header("content-type").orElse("").startsWith("application/x-www-form-urlencoded")
        || !GRANT_TYPE.equals(form.get("grant_type")) || !form.containsKey("assertion")) {
      return Answer.of(400, JsonBodies.write(JsonBodies.object().put("error", "invalid_request")));
    }
    if (!assertionChecksOut(form.get("assertion"))) {
      return Answer.of(400, JsonBodies.write(JsonBodies.object().put("error", "invalid_grant")));
    }
    Optional<Answer> scripted = Optional.ofNullable(tokenAnswers.poll());
    if (scripted.isPresent()) {
      return scripted.get();
    }
    byte[] secret = new byte[24];
    random.nextBytes(secret);
    String accessToken = "ya29." + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    accessTokens.put(accessToken, clock.instant().plusSeconds(ACCESS_TOKEN_SECONDS));
    issued.add(accessToken);
    return Answer.of(200, JsonBodies.write(JsonBodies.object()
        .put("access_token", accessToken).put("expires_in", ACCESS_TOKEN_SECONDS).put("token_type", "Bearer")));
  }

  private boolean assertionChecksOut(String assertion) {
    Optional<SignedJWT> verified = VerifiedJwt.of(assertion, JWSAlgorithm.RS256, serviceAccountKey.getPublic());
    if (verified.isEmpty() || !JOSEObjectType.JWT.equals(verified.get().getHeader().getType())) {
      return false;
    }
    JWTClaimsSet claims;
    try {
      claims = verified.get().getJWTClaimsSet();
    } catch (ParseException malformed) {
      return false;
    }
    if (claims.getIssueTime() == null || claims.getExpirationTime() == null) {
      return false;
    }
    long now = clock.instant().getEpochSecond();
    long iat = claims.getIssueTime().getTime() / 1000;
    long exp = claims.getExpirationTime().getTime() / 1000;
    return CLIENT_EMAIL.equals(claims.getIssuer())
        && SCOPE.equals(claims.getClaim("scope"))
        && List.of(tokenUri().toString()).equals(claims.getAudience())
        && iat <= now + 60 && exp > now && exp - iat <= 3600;
  }

  private Answer send(Request request) {
    String authorization = request.header("authorization").orElse("");
    String accessToken = authorization.startsWith("Bearer ") ? authorization.substring("Bearer ".length()) : "";
    Instant expiry = accessTokens.get(accessToken);
    if (expiry == null || !clock.instant().isBefore(expiry)) {
      return error(401, "UNAUTHENTICATED", "");
    }
    if (!request.header("content-type").orElse("").startsWith("application/json")) {
      return error(400, "INVALID_ARGUMENT", "INVALID_ARGUMENT");
    }
    Optional<String> registrationToken = wellFormedMessageToken(request.body());
    if (registrationToken.isEmpty()) {
      return error(400, "INVALID_ARGUMENT", "INVALID_ARGUMENT");
    }
    Optional<Answer> scripted = scriptedAnswer();
    if (scripted.isPresent()) {
      return scripted.get();
    }
    received.add(new Received(registrationToken.get(), accessToken, request.body()));
    return Answer.of(200, JsonBodies.write(
        JsonBodies.object().put("name", "projects/" + PROJECT_ID + "/messages/" + received.size())));
  }

  /** The message's token if the body is a message FCM would take: known fields, string data, a valid android block. */
  private static Optional<String> wellFormedMessageToken(String body) {
    JsonNode message = JsonBodies.read(body).path("message");
    if (!message.isObject() || !MESSAGE_FIELDS.containsAll(message.propertyNames())) {
      return Optional.empty();
    }
    JsonNode data = message.path("data");
    JsonNode android = message.path("android");
    boolean wellFormed = data.values().stream().allMatch(JsonNode::isString)
        && ANDROID_FIELDS.containsAll(android.propertyNames())
        && android.path("priority").stringValueOpt().map(p -> p.equals("HIGH") || p.equals("NORMAL")).orElse(true)
        && android.path("ttl").stringValueOpt().map(ttl -> ttl.matches("\\d+(\\.\\d{1,9})?s")).orElse(true);
    return wellFormed ? message.path("token").stringValueOpt().filter(token -> !token.isEmpty()) : Optional.empty();
  }

  private static Map<String, String> form(String body) {
    Map<String, String> fields = new HashMap<>();
    for (String pair : body.split("&")) {
      int equals = pair.indexOf('=');
      if (equals > 0) {
        fields.put(URLDecoder.decode(pair.substring(0, equals), StandardCharsets.UTF_8),
            URLDecoder.decode(pair.substring(equals + 1), StandardCharsets.UTF_8));
      }
    }
    return fields;
  }
}
