package org.homeserver.keypackage;

import com.google.protobuf.InvalidProtocolBufferException;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.homeserver.api.auth.v1.RegisteredClient;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.api.keypackage.v1.KeyPackageCount;
import org.homeserver.api.keypackage.v1.PublishKeyPackagesRequest;
import org.homeserver.api.keypackage.v1.PublishKeyPackagesResponse;
import org.homeserver.platform.auth.Principal;
import org.homeserver.platform.clients.RegisteredClients;
import org.homeserver.platform.db.IdempotentRequest;
import org.homeserver.platform.errors.Refusal;
import org.homeserver.platform.ids.ClientIdentity;
import org.homeserver.platform.ids.UserId;

/**
 * A client's own stock: publishing a batch that replaces all of its KeyPackages at once, counting
 * them, and purging them when the client or its user is deleted.
 */
public final class Publishes {
  private final KeyPackageStore store;
  private final BatchAdmission admission;
  private final RegisteredClients registry;
  private final int lowThreshold;
  private final Clock clock;

  public Publishes(KeyPackageStore store, BatchAdmission admission, RegisteredClients registry, int lowThreshold,
                   Clock clock) {
    this.store = store;
    this.admission = admission;
    this.registry = registry;
    this.lowThreshold = lowThreshold;
    this.clock = clock;
  }

  /**
   * Replaces all of the caller's KeyPackages with the batch, in one transaction that holds the
   * caller's client row: a claim sees the whole old set or the whole new one. Nothing is stored if
   * any KeyPackage fails.
   */
  public PublishKeyPackagesResponse publish(Principal caller, PublishKeyPackagesRequest request) {
    RegisteredClient client = registry.client(caller.clientId()).orElseThrow(() ->
        Refusal.of(ErrorReason.CLIENT_NOT_FOUND, "the calling client is no longer registered"));
    List<PublishedKeyPackage> batch = admission.admit(client, request.getKeyPackagesList());
    Optional<IdempotentRequest> idempotent =
        IdempotentRequest.ifKeyed(caller.clientUuid(), request.getIdempotencyKey(), request);
    Instant now = clock.instant();
    return store.inTransaction(h -> {
      Optional<byte[]> earlier = idempotent.flatMap(key -> key.claim(h, now));
      if (earlier.isPresent()) {
        return parse(earlier.get());
      }
      store.beginPublish(h, caller.clientId());
      store.replace(h, caller.clientId(), batch, now);
      PublishKeyPackagesResponse response = PublishKeyPackagesResponse.newBuilder()
          .addAllCounts(counts(store.stock(h, caller.clientId(), 0))).build();
      idempotent.ifPresent(key -> key.recordAnswer(h, response.toByteArray()));
      return response;
    });
  }

  /** The caller's stock per suite; {@code suite} 0 means every suite it has KeyPackages of. */
  public List<KeyPackageCount> count(Principal caller, int suite) {
    return counts(store.stock(caller.clientId(), suite));
  }

  /** Deletes every KeyPackage of one client; nothing if it has none. */
  public void purgeClient(String clientId) {
    if (ClientIdentity.parseClientId(clientId).isEmpty()) {
      throw Refusal.invalidField("client_id", "not a client id, mimi://<domain>/c/<handle>/<client-uuid>");
    }
    // No client id is a prefix of another: the uuid that ends it has a fixed length.
    store.purge(clientId);
  }

  /** Deletes every KeyPackage of every client of a user; nothing if it has none. */
  public void purgeUser(String userId) {
    UserId user = UserId.parse(userId).orElseThrow(() ->
        Refusal.invalidField("user_id", "not a user id, mimi://<domain>/u/<handle>"));
    store.purge("mimi://" + user.domain() + "/c/" + user.handle() + "/");
  }

  private List<KeyPackageCount> counts(List<KeyPackageStore.Stock> stock) {
    return stock.stream().map(s -> KeyPackageCount.newBuilder().setCipherSuite(s.cipherSuite()).setCount(s.count())
        .setHasLastResort(s.hasLastResort()).setLowThreshold(lowThreshold).build()).toList();
  }

  private static PublishKeyPackagesResponse parse(byte[] answer) {
    try {
      return PublishKeyPackagesResponse.parseFrom(answer);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("a stored answer does not parse", e);
    }
  }
}
