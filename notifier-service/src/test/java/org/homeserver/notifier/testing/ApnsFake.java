package org.homeserver.notifier.testing;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.text.ParseException;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.homeserver.notifier.apns.ApnsCredentials;
import org.homeserver.notifier.push.JsonBodies;
import tools.jackson.databind.JsonNode;

/**
 * A stand-in for the APNs provider API: checks the provider token against the team's key and the
 * headers as Apple documents them, records the pushes it accepts, and answers 200 unless a test
 * scripted another answer.
 */
public final class ApnsFake extends HttpsFake {
  public static final String TEAM_ID = "TEAM012345";
  public static final String KEY_ID = "KEY0123456";

  private static final Pattern DEVICE_PATH = Pattern.compile("/3/device/([0-9A-Fa-f]+)");
  private static final String UUID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";
  private static final int MAX_PAYLOAD_BYTES = 4096;
  private static final long TOKEN_LIFETIME_SECONDS = 3600;

  /** A push APNs accepted: the device, the request's headers (lower-cased names), the body. */
  public record Received(String deviceToken, Map<String, String> headers, String body) {
    /** The provider token the push came with. */
    public String providerToken() {
      return headers.get("authorization").substring("bearer ".length());
    }

    /** The body as JSON. */
    public JsonNode json() {
      return JsonBodies.parse(body);
    }
  }

  private final KeyPair teamKey;
  private final Clock clock;
  private final List<Received> received = new CopyOnWriteArrayList<>();

  private ApnsFake(KeyPair teamKey, Clock clock) {
    this.teamKey = teamKey;
    this.clock = clock;
  }

  /** A fake trusting tokens signed with {@code teamKey}, judging their age by {@code clock}. */
  public static ApnsFake start(KeyPair teamKey, Clock clock) {
    ApnsFake fake = new ApnsFake(teamKey, clock);
    fake.start();
    return fake;
  }

  /** A new APNs key: a P-256 key pair, as Apple issues them. */
  public static KeyPair newTeamKey() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"));
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The team key as the text of an Apple .p8 file. */
  public String keyPem() {
    return PrivateKeyPem.of(teamKey.getPrivate());
  }

  /** Credentials this fake accepts. */
  public ApnsCredentials credentials() {
    return new ApnsCredentials(TEAM_ID, KEY_ID, (ECPrivateKey) teamKey.getPrivate());
  }

  /** An answer as APNs gives for an error: {@code {"reason": ...}}. */
  public static Answer reason(int status, String reason) {
    return Answer.of(status, JsonBodies.write(JsonBodies.object().put("reason", reason)));
  }

  /** The pushes accepted so far, oldest first. */
  public List<Received> received() {
    return List.copyOf(received);
  }

  @Override
  protected Answer answer(Request request) {
    if (!request.method().equals("POST")) {
      return reason(405, "MethodNotAllowed");
    }
    Matcher device = DEVICE_PATH.matcher(request.path());
    if (!device.matches()) {
      return reason(404, "BadPath");
    }
    Optional<Answer> refusal = tokenProblem(request).or(() -> headerProblem(request)).or(() -> bodyProblem(request));
    if (refusal.isPresent()) {
      return refusal.get();
    }
    Optional<Answer> scripted = scriptedAnswer();
    if (scripted.isPresent()) {
      return scripted.get();
    }
    received.add(new Received(device.group(1), request.headers(), request.body()));
    return Answer.of(200, "").withHeader("apns-id", request.header("apns-id").orElse(""));
  }

  private Optional<Answer> tokenProblem(Request request) {
    Optional<String> authorization = request.header("authorization");
    if (authorization.isEmpty() || !authorization.get().startsWith("bearer ")) {
      return Optional.of(reason(403, "MissingProviderToken"));
    }
    Optional<SignedJWT> token =
        VerifiedJwt.of(authorization.get().substring("bearer ".length()), JWSAlgorithm.ES256, teamKey.getPublic());
    Optional<JWTClaimsSet> claims = token.flatMap(ApnsFake::claims);
    if (claims.isEmpty() || claims.get().getIssueTime() == null
        || !KEY_ID.equals(token.get().getHeader().getKeyID())
        || !TEAM_ID.equals(claims.get().getIssuer())) {
      return Optional.of(reason(403, "InvalidProviderToken"));
    }
    long iat = claims.get().getIssueTime().getTime() / 1000;
    long now = clock.instant().getEpochSecond();
    if (iat > now + 60) {
      return Optional.of(reason(403, "InvalidProviderToken"));
    }
    if (iat < now - TOKEN_LIFETIME_SECONDS) {
      return Optional.of(reason(403, "ExpiredProviderToken"));
    }
    return Optional.empty();
  }

  private static Optional<Answer> headerProblem(Request request) {
    String pushType = request.header("apns-push-type").orElse("");
    if (request.header("apns-topic").orElse("").isEmpty()) {
      return Optional.of(reason(400, "MissingTopic"));
    }
    if (!pushType.equals("alert") && !pushType.equals("background")) {
      return Optional.of(reason(400, "InvalidPushType"));
    }
    // Background pushes must have priority 5.
    if (!request.header("apns-priority").orElse("").equals(pushType.equals("alert") ? "10" : "5")) {
      return Optional.of(reason(400, "BadPriority"));
    }
    if (!request.header("apns-expiration").orElse("").matches("\\d{1,12}")) {
      return Optional.of(reason(400, "BadExpirationDate"));
    }
    if (!request.header("apns-id").orElse("").matches(UUID)) {
      return Optional.of(reason(400, "BadMessageId"));
    }
    if (request.header("apns-collapse-id").map(id -> id.isEmpty() || id.length() > 64).orElse(false)) {
      return Optional.of(reason(400, "BadCollapseId"));
    }
    return Optional.empty();
  }

  private static Optional<Answer> bodyProblem(Request request) {
    if (request.body().getBytes(StandardCharsets.UTF_8).length > MAX_PAYLOAD_BYTES) {
      return Optional.of(reason(413, "PayloadTooLarge"));
    }
    boolean hasAps = JsonBodies.read(request.body()).path("aps").isObject();
    return hasAps ? Optional.empty() : Optional.of(reason(400, "PayloadEmpty"));
  }

  private static Optional<JWTClaimsSet> claims(SignedJWT token) {
    try {
      return Optional.of(token.getJWTClaimsSet());
    } catch (ParseException malformed) {
      return Optional.empty();
    }
  }
}
