package org.homeserver.notifier.apns;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jwt.JWTClaimsSet;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.homeserver.notifier.push.SignedJwts;

/** The APNs provider token: a JWT (ES256) signed with the team's key, reused while it is young. */
final class ProviderToken {
  // Apple refuses tokens older than an hour and renewals more often than every 20 minutes.
  static final Duration LIFETIME = Duration.ofMinutes(50);

  private final ApnsCredentials credentials;
  private final Clock clock;
  private String token;
  private Instant issuedAt;

  ProviderToken(ApnsCredentials credentials, Clock clock) {
    this.credentials = credentials;
    this.clock = clock;
  }

  /** The token to send now: the one in use, or a new one once it is {@link #LIFETIME} old or was rejected. */
  synchronized String current() {
    Instant now = clock.instant();
    if (token == null || !now.isBefore(issuedAt.plus(LIFETIME))) {
      token = SignedJwts.sign(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(credentials.keyId()).build(),
          new JWTClaimsSet.Builder().issuer(credentials.teamId()).issueTime(Date.from(now)).build(),
          credentials.key());
      issuedAt = now;
    }
    return token;
  }

  /**
   * Forgets {@code rejected}, which APNs called expired, unless a newer token already replaced it
   * (pushes running side by side all see the same rejection; one renewal is enough).
   */
  synchronized void rejected(String rejected) {
    if (rejected.equals(token)) {
      token = null;
    }
  }
}
