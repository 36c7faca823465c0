package org.homeserver.platform.auth;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.homeserver.api.auth.v1.AuthInternalServiceGrpc.AuthInternalServiceBlockingStub;
import org.homeserver.api.auth.v1.GetTokenKeysRequest;
import org.homeserver.api.auth.v1.TokenKey;

/**
 * Token keys fetched from the auth service's internal API and kept in memory; an unknown key id
 * triggers a refetch, at most once per ten seconds so forged key ids cannot flood the auth service.
 */
public final class RemoteTokenKeys implements TokenKeySource {
  private static final Duration REFRESH_GAP = Duration.ofSeconds(10);
  private final AuthInternalServiceBlockingStub auth;
  private final Clock clock;
  private volatile Map<String, byte[]> keys = Map.of();
  private volatile Instant lastFetch = Instant.MIN;
  private final Object fetchLock = new Object();

  public RemoteTokenKeys(AuthInternalServiceBlockingStub auth, Clock clock) {
    this.auth = auth;
    this.clock = clock;
  }

  @Override
  public Optional<byte[]> publicKey(String keyId) {
    byte[] key = keys.get(keyId);
    if (key == null) {
      synchronized (fetchLock) {
        key = keys.get(keyId);
        if (key == null && lastFetch.plus(REFRESH_GAP).isBefore(clock.instant())) {
          lastFetch = clock.instant();
          keys = auth.withDeadlineAfter(5, java.util.concurrent.TimeUnit.SECONDS)
              .getTokenKeys(GetTokenKeysRequest.getDefaultInstance())
              .getKeysList().stream()
              .collect(Collectors.toUnmodifiableMap(TokenKey::getKeyId, k -> k.getPublicKey().toByteArray()));
          key = keys.get(keyId);
        }
      }
    }
    return Optional.ofNullable(key);
  }
}
