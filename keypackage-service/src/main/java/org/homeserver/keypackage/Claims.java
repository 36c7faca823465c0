package org.homeserver.keypackage;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.homeserver.api.auth.v1.RegisteredClient;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.api.delivery.v1.KeyPackagesLow;
import org.homeserver.api.keypackage.v1.ClaimKeyPackagesRequest;
import org.homeserver.api.keypackage.v1.ClaimKeyPackagesResponse;
import org.homeserver.api.keypackage.v1.ClaimedKeyPackage;
import org.homeserver.mls.codec.MlsDecodeException;
import org.homeserver.mls.crypto.CipherSuite;
import org.homeserver.mls.crypto.HashReferences;
import org.homeserver.mls.message.MlsMessage;
import org.homeserver.platform.auth.Principal;
import org.homeserver.platform.clients.RegisteredClients;
import org.homeserver.platform.db.IdempotentRequest;
import org.homeserver.platform.errors.Refusal;
import org.homeserver.platform.ids.PeerIds;
import org.homeserver.platform.ids.UserId;
import org.jdbi.v3.core.Handle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Claims (keypackage.proto, CLAIMS): one KeyPackage of a suite per client of a user, deleted unless
 * it is the client's last of the suite. Each claim locks the client rows of the clients it takes
 * from (client id order), so claims of one client are serialised for the few statements that pick
 * and delete: two claims cannot both take a KeyPackage, nor both take the second-to-last one, and
 * a claim never sees half of a publish.
 */
public final class Claims {
  private static final Logger log = LoggerFactory.getLogger(Claims.class);
  /** A federated claim names at most this many clients (federation.proto ClaimKeyPackagesRequest). */
  private static final int MAX_PEER_CLIENT_IDS = 100;

  private final KeyPackageStore store;
  private final RegisteredClients registry;
  private final ClaimRights rights;
  private final LowStockNotices notices;
  private final Set<Integer> allowedSuites;
  private final int lowThreshold;
  private final String domain;
  private final RemoteClaims remote;
  private final Clock clock;

  /** A low stock that a claim left, for the event sent once it has committed. */
  private record LowStock(String clientId, int suite, int count, long generation) {}

  private record Outcome(ClaimKeyPackagesResponse response, List<LowStock> lows) {}

  public Claims(KeyPackageStore store, RegisteredClients registry, ClaimRights rights, LowStockNotices notices,
                Set<CipherSuite> allowedSuites, int lowThreshold, String domain, RemoteClaims remote, Clock clock) {
    this.store = store;
    this.registry = registry;
    this.rights = rights;
    this.notices = notices;
    this.allowedSuites = allowedSuites.stream().map(CipherSuite::code).collect(Collectors.toUnmodifiableSet());
    this.lowThreshold = lowThreshold;
    this.domain = domain;
    this.remote = remote;
    this.clock = clock;
  }

  /**
   * Claims for the caller's user or, with the directory's consent, another user of this domain; a
   * user of another domain is claimed from its homeserver ({@link RemoteClaims}).
   */
  public ClaimKeyPackagesResponse claim(Principal caller, ClaimKeyPackagesRequest request) {
    UserId target = validate(request.getUserId(), request.getCipherSuite());
    if (!target.domain().equals(domain)) {
      return remote.claim(caller, target, request);
    }
    Optional<IdempotentRequest> idempotent =
        IdempotentRequest.ifKeyed(caller.clientUuid(), request.getIdempotencyKey(), request);
    return run(new Claim(caller.userId(), Optional.of(caller.clientId()), target, request.getCipherSuite(),
        request.getClientIdsList(), idempotent, Optional.empty()));
  }

  /**
   * A claim by a user of {@code peer} of a user of this domain (keypackage_internal.proto): the rules
   * of a local claim with the claimer in place of the caller, idempotent under the peer's domain and
   * the request's key, and the KeyPackageRefs handed out recorded for the peer.
   */
  public org.homeserver.api.federation.v1.ClaimKeyPackagesResponse claimForPeer(String peer,
      org.homeserver.api.federation.v1.ClaimKeyPackagesRequest request) {
    String claimer = request.getClaimerUserId();
    PeerIds.requireActing(peer, claimer, "claimer_user_id");
    PeerIds.requireLocal(domain, request.getUserId(), "user_id");
    UserId target = validate(request.getUserId(), request.getCipherSuite());
    if (request.getClientIdsCount() > MAX_PEER_CLIENT_IDS) {
      throw Refusal.invalidField("client_ids", "at most " + MAX_PEER_CLIENT_IDS + " clients");
    }
    if (request.getIdempotencyKey().isEmpty()) {
      throw Refusal.invalidField("idempotency_key", "a federated claim carries an idempotency key");
    }
    ClaimKeyPackagesResponse claimed = run(new Claim(claimer, Optional.empty(), target, request.getCipherSuite(),
        request.getClientIdsList(), Optional.of(IdempotentRequest.of(IdempotentRequest.peer(peer),
        request.getIdempotencyKey(), request)), Optional.of(peer)));
    return org.homeserver.api.federation.v1.ClaimKeyPackagesResponse.newBuilder()
        .addAllKeyPackages(claimed.getKeyPackagesList())
        .addAllClientsWithoutKeyPackage(claimed.getClientsWithoutKeyPackageList()).build();
  }

  /**
   * One claim of {@code target}'s KeyPackages by {@code claimer}: {@code ownClient}, the calling
   * client of a local claim, is left out of "every client"; {@code peer}, the domain of a federated
   * claimer, gets the KeyPackageRefs recorded.
   */
  private record Claim(String claimer, Optional<String> ownClient, UserId target, int suite, List<String> clientIds,
                       Optional<IdempotentRequest> idempotent, Optional<String> peer) {}

  private ClaimKeyPackagesResponse run(Claim claim) {
    Instant now = clock.instant();
    String target = claim.target().toString();
    Outcome outcome = store.inTransaction(h -> {
      Optional<byte[]> earlier = claim.idempotent().flatMap(key -> key.claim(h, now));
      if (earlier.isPresent()) {
        return new Outcome(parse(earlier.get()), List.of());
      }
      Optional<ClaimRights.Grant> grant = claim.claimer().equals(target)
          ? Optional.empty() : Optional.of(rights.check(claim.claimer(), target));
      List<String> asked = asked(claim);
      if (grant.equals(Optional.of(ClaimRights.Grant.WITHHELD))) {
        throw noKeyPackage(claim.suite());
      }
      Outcome claimed = handOut(h, asked, claim.suite(), () -> grant
          .filter(g -> g == ClaimRights.Grant.CLAIM_RIGHT)
          .ifPresent(g -> rights.spend(claim.claimer(), target)));
      claim.peer().ifPresent(peer -> recordForPeer(h, peer, claim.suite(), claimed.response(), now));
      claim.idempotent().ifPresent(key -> key.recordAnswer(h, claimed.response().toByteArray()));
      return claimed;
    });
    outcome.lows().forEach(this::tell);
    return outcome.response();
  }

  /** Records the KeyPackageRef of each KeyPackage handed out to {@code peer}. */
  private void recordForPeer(Handle h, String peer, int suite, ClaimKeyPackagesResponse response, Instant now) {
    CipherSuite cipherSuite = CipherSuite.fromCode(suite).orElseThrow();
    List<byte[]> refs = new ArrayList<>();
    List<String> clients = new ArrayList<>();
    for (ClaimedKeyPackage handed : response.getKeyPackagesList()) {
      try {
        if (!(MlsMessage.decode(handed.getKeyPackage().toByteArray()).body()
            instanceof MlsMessage.KeyPackageBody(var keyPackage))) {
          throw new IllegalStateException("a stored KeyPackage is not one");
        }
        refs.add(HashReferences.keyPackageRef(cipherSuite, keyPackage.toBytes()));
        clients.add(handed.getClientId());
      } catch (MlsDecodeException e) {
        throw new IllegalStateException("a stored KeyPackage does not decode", e);
      }
    }
    store.recordPeerClaims(h, peer, refs, clients, now);
  }

  private UserId validate(String userId, int suite) {
    UserId target = UserId.parse(userId).filter(u -> u.toString().equals(userId))
        .orElseThrow(() -> Refusal.invalidField("user_id", "not a user id, mimi://<domain>/u/<handle>"));
    if (!allowedSuites.contains(suite)) {
      throw Refusal.invalidField("cipher_suite", "cipher suite " + suite
          + " is not one of the allowed " + allowedSuites.stream().sorted().toList());
    }
    return target;
  }

  /** The clients to claim for: the listed ones, or every client of the user but the calling one. */
  private List<String> asked(Claim claim) {
    Set<String> registered = registry.clientsOf(claim.target().toString()).stream()
        .map(RegisteredClient::getClientId).collect(Collectors.toCollection(LinkedHashSet::new));
    if (claim.clientIds().isEmpty()) {
      claim.ownClient().ifPresent(registered::remove);
      return List.copyOf(registered);
    }
    for (String listed : claim.clientIds()) {
      if (!registered.contains(listed)) {
        throw Refusal.invalidField("client_ids", listed + " is not a client of " + claim.target());
      }
    }
    return claim.clientIds().stream().distinct().toList();
  }

  /**
   * Under the clients' row locks: picks one KeyPackage per client, runs {@code beforeHandingOut}
   * once something is there to hand out (the spending of a claim right), then deletes the picked
   * ones that are not their client's last. NO_KEY_PACKAGE if no client has one.
   */
  private Outcome handOut(Handle h, List<String> asked, int suite, Runnable beforeHandingOut) {
    Map<String, Long> generations = store.lockClients(h, asked);
    Map<String, KeyPackageStore.Candidate> found = store.candidates(h, generations.keySet(), suite).stream()
        .collect(Collectors.toMap(KeyPackageStore.Candidate::clientId, Function.identity()));
    if (found.isEmpty()) {
      throw noKeyPackage(suite);
    }
    beforeHandingOut.run();
    ClaimKeyPackagesResponse.Builder response = ClaimKeyPackagesResponse.newBuilder();
    List<Long> handedOut = new ArrayList<>();
    List<LowStock> lows = new ArrayList<>();
    for (String clientId : asked) {
      KeyPackageStore.Candidate candidate = found.get(clientId);
      if (candidate == null) {
        response.addClientsWithoutKeyPackage(clientId);
        continue;
      }
      boolean kept = candidate.lastResort() || candidate.total() == 1;
      if (!kept) {
        handedOut.add(candidate.id());
      }
      response.addKeyPackages(ClaimedKeyPackage.newBuilder().setClientId(clientId)
          .setKeyPackage(ByteString.copyFrom(candidate.keyPackage())).setKept(kept));
      int left = candidate.deletable() - (kept ? 0 : 1);
      long generation = generations.get(clientId);
      if (left < lowThreshold && store.recordLowStock(h, clientId, suite, generation)) {
        lows.add(new LowStock(clientId, suite, left, generation));
      }
    }
    store.delete(h, handedOut);
    return new Outcome(response.build(), lows);
  }

  private static Refusal noKeyPackage(int suite) {
    return Refusal.of(ErrorReason.NO_KEY_PACKAGE, "no client asked for has a KeyPackage of cipher suite " + suite);
  }

  /**
   * Sends a KeyPackagesLow event recorded by a committed claim. Its idempotency key names the
   * client, suite and publish, so a resend never queues a second one; if it cannot be sent, the
   * record is dropped and the client's next claim tries again.
   */
  private void tell(LowStock low) {
    KeyPackagesLow event = KeyPackagesLow.newBuilder().setCipherSuite(low.suite()).setCount(low.count())
        .setThreshold(lowThreshold).build();
    try {
      notices.send(low.clientId(), event, lowStockKey(low.clientId(), low.suite(), low.generation()));
    } catch (RuntimeException e) {
      log.warn("could not send KeyPackagesLow to {}; the next claim retries", low.clientId(), e);
      store.forgetLowStock(low.clientId(), low.suite(), low.generation());
    }
  }

  /** The idempotency key of the KeyPackagesLow event of a client's suite after one of its publishes. */
  static String lowStockKey(String clientId, int suite, long generation) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(
          ("KeyPackagesLow\0" + clientId + "\0" + suite + "\0" + generation).getBytes(StandardCharsets.UTF_8));
      return "kplow-" + Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static ClaimKeyPackagesResponse parse(byte[] answer) {
    try {
      return ClaimKeyPackagesResponse.parseFrom(answer);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("a stored answer does not parse", e);
    }
  }
}
