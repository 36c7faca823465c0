package org.homeserver.notifier.fcm;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jwt.JWTClaimsSet;
import java.io.IOException;
import java.math.BigDecimal;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Optional;
import org.homeserver.notifier.push.HttpOutcomes;
import org.homeserver.notifier.push.JsonBodies;
import org.homeserver.notifier.push.PushResult;
import org.homeserver.notifier.push.SignedJwts;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

/**
 * The OAuth access token FCM takes: traded at the token endpoint for a signed assertion (RFC 7523)
 * and kept until shortly before it expires.
 */
final class AccessTokens {
  static final String SCOPE = "https://www.googleapis.com/auth/firebase.messaging";
  static final String GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer";
  // Renewing a minute early keeps a token from expiring between the check and FCM reading it.
  static final Duration RENEW_BEFORE_EXPIRY = Duration.ofSeconds(60);

  private static final Logger LOG = LoggerFactory.getLogger(AccessTokens.class);
  private static final long ASSERTION_LIFETIME_SECONDS = 3600;
  private static final long MAX_TOKEN_SECONDS = 86_400;

  /** A token to send with, or why there is none. */
  sealed interface Grant {
    record Token(String accessToken, Instant renewAt) implements Grant {}

    /** The token endpoint failed: what becomes of the push (never Gone, the device is not at fault). */
    record Refused(PushResult result) implements Grant {}
  }

  private final HttpClient client;
  private final FcmCredentials credentials;
  private final Clock clock;
  private final Duration timeout;
  private String token;
  private Instant renewAt;

  AccessTokens(HttpClient client, FcmCredentials credentials, Clock clock, Duration timeout) {
    this.client = client;
    this.credentials = credentials;
    this.clock = clock;
    this.timeout = timeout;
  }

  /** The token in use, or a new one from the token endpoint if there is none or it nearly expired. */
  synchronized Grant current() {
    // Held through the exchange on purpose: pushes waiting for a token share the one fetched.
    if (token != null && clock.instant().isBefore(renewAt)) {
      return new Grant.Token(token, renewAt);
    }
    Grant grant = fetch();
    if (grant instanceof Grant.Token fetched) {
      token = fetched.accessToken();
      renewAt = fetched.renewAt();
    }
    return grant;
  }

  /** Forgets {@code rejected}, which FCM refused (401), unless it was already replaced. */
  synchronized void rejected(String rejected) {
    if (rejected.equals(token)) {
      token = null;
    }
  }

  private Grant fetch() {
    Instant now = clock.instant();
    String assertion = SignedJwts.sign(new JWSHeader.Builder(JWSAlgorithm.RS256).type(JOSEObjectType.JWT).build(),
        new JWTClaimsSet.Builder()
            .issuer(credentials.clientEmail())
            .claim("scope", SCOPE)
            .audience(credentials.tokenUri().toString())
            .issueTime(Date.from(now))
            .expirationTime(Date.from(now.plusSeconds(ASSERTION_LIFETIME_SECONDS)))
            .build(),
        credentials.privateKey());
    String form = "grant_type=" + URLEncoder.encode(GRANT_TYPE, StandardCharsets.UTF_8)
        + "&assertion=" + URLEncoder.encode(assertion, StandardCharsets.UTF_8);
    HttpRequest request = HttpRequest.newBuilder(credentials.tokenUri())
        .timeout(timeout)
        .header("content-type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString(form))
        .build();
    try {
      return granted(client.send(request, HttpResponse.BodyHandlers.ofString()), now);
    } catch (IOException e) {
      LOG.debug("FCM token endpoint request failed", e);
      return new Grant.Refused(new PushResult.Retry("token endpoint unreachable", Optional.empty()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Grant.Refused(new PushResult.Retry("interrupted", Optional.empty()));
    }
  }

  private Grant granted(HttpResponse<String> response, Instant askedAt) {
    int status = response.statusCode();
    JsonNode body = JsonBodies.read(response.body());
    Optional<String> accessToken = body.path("access_token").stringValueOpt();
    JsonNode expiresIn = body.path("expires_in");
    if (status == 200 && accessToken.isPresent() && expiresIn.isNumber()) {
      // Counted from the asking, so that a slow answer errs on the early side; a day at most,
      // whatever the endpoint says (Google's tokens last an hour).
      long seconds = expiresIn.decimalValue().max(BigDecimal.ZERO).min(BigDecimal.valueOf(MAX_TOKEN_SECONDS))
          .longValue();
      return new Grant.Token(accessToken.get(), askedAt.plusSeconds(seconds).minus(RENEW_BEFORE_EXPIRY));
    }
    String error = body.path("error").stringValueOpt().orElse("");
    LOG.warn("FCM token endpoint refused the service account {}: HTTP {} {}", credentials.clientEmail(), status, error);
    String reason = "token endpoint HTTP " + status;
    return new Grant.Refused(switch (HttpOutcomes.of(status, response.headers().firstValue("retry-after"), clock)) {
      case PushResult.Retry retry -> new PushResult.Retry(reason, retry.retryAfter());
      // A 200 without a token is the endpoint's fault, and it may mend.
      case PushResult.Delivered delivered -> new PushResult.Retry(reason + " without a token", Optional.empty());
      default -> new PushResult.Failed(reason);
    });
  }
}
