package org.homeserver.auth;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.UUID;
import org.homeserver.api.auth.v1.AccessTokenClaims;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.auth.AuthStore.Challenge;
import org.homeserver.auth.AuthStore.Client;
import org.homeserver.platform.auth.AccessTokens;
import org.homeserver.platform.errors.Refusal;
import org.homeserver.platform.ids.ClientIdentity;
import org.homeserver.platform.ratelimit.RateLimiter;
import org.homeserver.platform.ratelimit.RateLimits;

/** Sessions: a single-use challenge, signed by the client's key, buys a short-lived access token. */
public final class Sessions {
  static final Duration CHALLENGE_TTL = Duration.ofSeconds(60);
  private static final int NONCE_BYTES = 32;

  private final AuthStore store;
  private final Clients clients;
  private final TokenKeys keys;
  private final Duration tokenTtl;
  private final RateLimiter challenges;
  private final RateLimiter unknownClients;
  private final SecureRandom random;
  private final Clock clock;

  Sessions(AuthStore store, Clients clients, TokenKeys keys, Duration tokenTtl, RateLimiter challenges,
           RateLimiter unknownClients, SecureRandom random, Clock clock) {
    this.store = store;
    this.clients = clients;
    this.keys = keys;
    this.tokenTtl = tokenTtl;
    this.challenges = challenges;
    this.unknownClients = unknownClients;
    this.random = random;
    this.clock = clock;
  }

  /** A new access token and what it says. */
  public record Session(String token, Instant expiresAt, String userId) {}

  /** A challenge for {@code clientId}, asked from {@code address}. */
  public Challenge challenge(String clientId, String address) {
    Client client = known(clientId, address);
    RateLimits.check(challenges, "challenge:" + client.uuid(), "too many challenges for this client");
    byte[] nonce = new byte[NONCE_BYTES];
    random.nextBytes(nonce);
    Instant now = clock.instant();
    Challenge challenge = new Challenge(UUID.randomUUID(), client.uuid(), nonce, now.plus(CHALLENGE_TTL));
    store.insertChallenge(challenge, now);
    return challenge;
  }

  public Session create(String clientId, String challengeId, byte[] signature, String address) {
    // Taken before the user's state is read: a suspension that commits after this read revokes
    // "up to now", which covers this token.
    Instant issuedAt = clock.instant();
    Client client = known(clientId, address);
    UUID id;
    try {
      id = UUID.fromString(challengeId);
    } catch (IllegalArgumentException e) {
      throw challengeInvalid();
    }
    Challenge challenge = store.takeChallenge(id)
        .filter(c -> c.clientUuid().equals(client.uuid()) && issuedAt.isBefore(c.expiresAt()))
        .orElseThrow(Sessions::challengeInvalid);
    if (!Clients.key(client).verifyWithLabel(SignContent.SESSION_LABEL, SignContent.session(clientId, challenge.nonce()), signature)) {
      throw Refusal.of(ErrorReason.CHALLENGE_SIGNATURE_INVALID,
          "the signature is not a SignWithLabel(\"" + SignContent.SESSION_LABEL
              + "\", opaque(client_id) || opaque(nonce)) by the client's key");
    }
    if (client.userSuspended()) {
      throw Users.suspended();
    }
    ClientIdentity identity = clients.identity(client);
    Instant expiresAt = issuedAt.plus(tokenTtl);
    byte[] tokenId = new byte[16];
    random.nextBytes(tokenId);
    AccessTokenClaims claims = AccessTokenClaims.newBuilder()
        .setKeyId(keys.signing().keyId())
        .setTokenId(HexFormat.of().formatHex(tokenId))
        .setUserId(identity.userId())
        .setUserUuid(client.userUuid().toString())
        .setClientId(identity.clientId())
        .setClientUuid(client.uuid().toString())
        .setIssuedAtMs(issuedAt.toEpochMilli())
        .setExpiresAtMs(expiresAt.toEpochMilli())
        .build();
    store.touchSession(client.uuid(), issuedAt);
    return new Session(AccessTokens.sign(claims, keys.signing().privateKey()), expiresAt, identity.userId());
  }

  /**
   * The client {@code clientId} names. Asking for ids that do not exist is limited per address, so
   * nobody can probe ids (or load the database) at will; an address past the limit is refused before
   * the lookup.
   */
  private Client known(String clientId, String address) {
    if (unknownClients.spent(address)) {
      throw Refusal.rateLimited(Duration.ofMinutes(1), "too many unknown client ids from this address");
    }
    try {
      return clients.require(clientId);
    } catch (Refusal notFound) {
      unknownClients.tryAcquire(address);
      throw notFound;
    }
  }

  private static Refusal challengeInvalid() {
    return Refusal.of(ErrorReason.CHALLENGE_INVALID, "the challenge is unknown, used or expired; ask for a new one");
  }
}
