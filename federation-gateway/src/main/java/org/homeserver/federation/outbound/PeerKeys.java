package org.homeserver.federation.outbound;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.api.federation.v1.FederationKey;
import org.homeserver.api.federation.v1.FederationServiceGrpc;
import org.homeserver.api.federation.v1.GetFederationKeysRequest;
import org.homeserver.api.federation.v1.GetFederationKeysResponse;
import org.homeserver.federation.trust.RequestSignature;
import org.homeserver.platform.errors.Refusal;
import org.homeserver.platform.grpc.Protos;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The federation keys other homeservers publish, fetched from each over mutual TLS (its certificate
 * vouches for them) and kept; a key id not among them is asked for again, at most every
 * {@link #REFETCH}, so a peer's new key is learnt without letting unknown ids trigger a flood.
 */
public final class PeerKeys implements RequestSignature.KeyLookup {
  private static final Logger log = LoggerFactory.getLogger(PeerKeys.class);
  /** A peer is asked again for an unknown key id no sooner than this. */
  static final Duration REFETCH = Duration.ofSeconds(30);
  /** Keys are kept at most this long before they are asked for again. */
  private static final Duration KEPT = Duration.ofHours(1);

  private record Fetched(List<FederationKey> keys, Instant at) {}

  private final PeerClient peers;
  private final Clock clock;
  private final Map<String, ReentrantLock> fetching = new ConcurrentHashMap<>();
  private final Cache<String, Fetched> fetched = Caffeine.newBuilder().expireAfterWrite(KEPT).maximumSize(10_000)
      .build();

  public PeerKeys(PeerClient peers, Clock clock) {
    this.peers = peers;
    this.clock = clock;
  }

  @Override
  public Optional<RequestSignature.PeerKey> key(String origin, String keyId) {
    Fetched known = fetched.getIfPresent(origin);
    Optional<RequestSignature.PeerKey> found = find(known, keyId);
    if (found.isPresent() || (known != null && known.at().plus(REFETCH).isAfter(clock.instant()))) {
      return found;
    }
    // One fetch per origin at a time: the calls that waited for it use its answer.
    ReentrantLock lock = fetching.computeIfAbsent(origin, o -> new ReentrantLock());
    lock.lock();
    try {
      Fetched now = fetched.getIfPresent(origin);
      if (now == null || now == known) {
        now = fetchOrNone(origin);
        fetched.put(origin, now);
      }
      return find(now, keyId);
    } finally {
      lock.unlock();
    }
  }

  /**
   * The origin's keys, or none when it cannot be asked: kept as an answer too, so a peer that does
   * not answer is asked again only after {@link #REFETCH}, however many calls name it meanwhile.
   */
  private Fetched fetchOrNone(String origin) {
    try {
      return fetch(origin);
    } catch (RuntimeException e) {
      log.info("could not fetch the federation keys of {}: {}", origin, e.getMessage());
      return new Fetched(List.of(), clock.instant());
    }
  }

  private Fetched fetch(String origin) {
    GetFederationKeysResponse response = peers.call(origin, FederationServiceGrpc.getGetFederationKeysMethod(),
        GetFederationKeysRequest.getDefaultInstance(), false);
    if (!response.getDomain().equals(origin)) {
      throw Refusal.of(ErrorReason.PEER_DOMAIN_MISMATCH, origin + " published the keys of " + response.getDomain());
    }
    return new Fetched(response.getKeysList(), clock.instant());
  }

  private static Optional<RequestSignature.PeerKey> find(Fetched known, String keyId) {
    if (known == null) {
      return Optional.empty();
    }
    return known.keys().stream().filter(k -> k.getKeyId().equals(keyId)).findFirst()
        .map(k -> new RequestSignature.PeerKey(k.getPublicKey().toByteArray(), Protos.instant(k.getValidFrom()),
            Protos.instant(k.getValidUntil())));
  }
}
