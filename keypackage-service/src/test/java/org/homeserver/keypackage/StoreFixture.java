package org.homeserver.keypackage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.ByteString;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.homeserver.api.auth.v1.RegisteredClient;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.api.delivery.v1.KeyPackagesLow;
import org.homeserver.api.keypackage.v1.ClaimKeyPackagesRequest;
import org.homeserver.api.keypackage.v1.ClaimKeyPackagesResponse;
import org.homeserver.api.keypackage.v1.PublishKeyPackagesRequest;
import org.homeserver.api.keypackage.v1.PublishKeyPackagesResponse;
import org.homeserver.auth.CertificateAuthority;
import org.homeserver.auth.SignatureKey;
import org.homeserver.mls.TestKeyPackages;
import org.homeserver.mls.TestKeyPackages.SigningKey;
import org.homeserver.mls.crypto.CipherSuite;
import org.homeserver.mls.message.Credential;
import org.homeserver.mls.message.Extension;
import org.homeserver.mls.message.KeyPackage;
import org.homeserver.mls.validation.KeyPackageValidator;
import org.homeserver.platform.auth.Principal;
import org.homeserver.platform.db.ServiceDatabase;
import org.homeserver.platform.errors.Refusal;
import org.homeserver.platform.ids.ClientIdentity;
import org.homeserver.platform.clients.RegisteredClients;
import org.homeserver.platform.testing.MutableClock;
import org.homeserver.platform.testing.TestPostgres;
import org.junit.jupiter.api.function.Executable;

/**
 * The KeyPackage store on a fresh database of the real PostgreSQL, with clients registered by this
 * fixture: real signature keys, certified by a real AS of the domain, so every KeyPackage a test
 * publishes passes or fails the real checks. The KeyPackagesLow events are kept in a list instead
 * of being queued; claims across users are tested end to end in the homeserver module.
 */
final class StoreFixture implements AutoCloseable {
  static final String DOMAIN = "example.org";
  static final CipherSuite SUITE = CipherSuite.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;
  static final int THRESHOLD = 10;

  /** A registered client: its ids, its key and its AS credential. */
  record Client(ClientIdentity identity, SigningKey key, Credential.X509 credential, Principal principal) {
    String id() {
      return identity.clientId();
    }

    String userId() {
      return identity.userId();
    }
  }

  /** A KeyPackagesLow event as it would be queued. */
  record Sent(String clientId, KeyPackagesLow event, String idempotencyKey) {}

  final MutableClock clock = new MutableClock();
  final ServiceDatabase database;
  final KeyPackageStore store;
  final Publishes publishes;
  final Claims claims;
  final List<Sent> sent = Collections.synchronizedList(new ArrayList<>());
  private final CertificateAuthority authority = CertificateAuthority.generate(DOMAIN, clock);
  private final Map<String, RegisteredClient> registered = new ConcurrentHashMap<>();

  private StoreFixture(int poolSize) {
    this.database = ServiceDatabase.open(TestPostgres.freshDatabase(), KeyPackageModule.NAME, poolSize);
    this.store = new KeyPackageStore(database.transactions());
    RegisteredClients registry = new RegisteredClients() {
      @Override
      public Optional<RegisteredClient> client(String clientId) {
        return Optional.ofNullable(registered.get(clientId));
      }

      @Override
      public List<RegisteredClient> clientsOf(String userId) {
        return registered.values().stream().filter(c -> c.getUserId().equals(userId))
            .sorted(Comparator.comparing(RegisteredClient::getClientId)).toList();
      }
    };
    BatchAdmission admission = new BatchAdmission(BatchAdmission.validatorsFor(KeyPackageModule.DEFAULT_SUITES,
        suites -> new KeyPackageValidator(suites, Duration.ofHours(1), clock)), DOMAIN);
    this.publishes = new Publishes(store, admission, registry, THRESHOLD, clock);
    ClaimRights noOtherUsers = new ClaimRights() {
      @Override
      public Grant check(String claimerUserId, String targetUserId) {
        throw new AssertionError("these tests claim their own user's KeyPackages only");
      }

      @Override
      public void spend(String claimerUserId, String targetUserId) {
        throw new AssertionError("these tests claim their own user's KeyPackages only");
      }
    };
    this.claims = new Claims(store, registry, noOtherUsers, (client, event, key) -> sent.add(new Sent(client, event, key)),
        KeyPackageModule.DEFAULT_SUITES, THRESHOLD, DOMAIN, new RemoteClaims(new RemoteClaims.Peers() {
          @Override
          public org.homeserver.api.federation.v1.ClaimKeyPackagesResponse claim(String destination,
              org.homeserver.api.federation.v1.ClaimKeyPackagesRequest request) {
            throw new AssertionError("these tests claim KeyPackages of this domain only");
          }

          @Override
          public java.util.List<byte[]> authenticationRoots(String domain) {
            throw new AssertionError("these tests claim KeyPackages of this domain only");
          }
        }, new org.homeserver.mls.validation.KeyPackageValidator(KeyPackageModule.DEFAULT_SUITES,
            java.time.Duration.ofHours(1), clock), clock), clock);
  }

  static StoreFixture start() {
    return new StoreFixture(4);
  }

  static StoreFixture start(int poolSize) {
    return new StoreFixture(poolSize);
  }

  /** Registers a new Ed25519 client of {@code handle}'s user, with its AS credential. */
  Client register(String handle) {
    return register(handle, SUITE);
  }

  /** Registers a new client of {@code handle}'s user whose key is of {@code suite}'s signature scheme. */
  Client register(String handle, CipherSuite suite) {
    ClientIdentity identity = new ClientIdentity(DOMAIN, handle, UUID.randomUUID());
    SigningKey key = SigningKey.generate(suite.signatureScheme());
    var scheme = org.homeserver.api.common.v1.SignatureScheme.forNumber(suite.signatureScheme().code());
    Instant now = clock.instant();
    var issued = authority.issueClientCertificate(identity, new SignatureKey(scheme, key.publicKey()),
        now.minusSeconds(60), now.plus(Duration.ofDays(365)));
    UUID userUuid = UUID.nameUUIDFromBytes(identity.userId().getBytes());
    registered.put(identity.clientId(), RegisteredClient.newBuilder().setClientId(identity.clientId())
        .setUserId(identity.userId()).setUserUuid(userUuid.toString()).setSignatureScheme(scheme)
        .setSignaturePublicKey(ByteString.copyFrom(key.publicKey())).build());
    Principal principal = new Principal(identity.userId(), userUuid, identity.clientId(), identity.clientUuid(),
        "token-" + identity.clientUuid(), now, now.plus(Duration.ofMinutes(15)));
    return new Client(identity, key, new Credential.X509(issued.chain()), principal);
  }

  /** A valid KeyPackage of {@code client} for {@link #SUITE}, as uploaded. */
  ByteString keyPackage(Client client) {
    return encoded(TestKeyPackages.create(SUITE, client.credential(), client.key(), clock.instant()));
  }

  /** A valid last-resort KeyPackage of {@code client} for {@code suite}. */
  ByteString lastResort(Client client, CipherSuite suite) {
    Instant now = clock.instant();
    return encoded(TestKeyPackages.create(suite, client.credential(), client.key(),
        now.minus(TestKeyPackages.VALID_BEFORE), now.plus(TestKeyPackages.VALID_AFTER),
        List.<Extension>of(TestKeyPackages.lastResort())));
  }

  static ByteString encoded(KeyPackage keyPackage) {
    return ByteString.copyFrom(TestKeyPackages.encodeAsMessage(keyPackage));
  }

  /** {@code n} valid KeyPackages of {@code client}. */
  List<ByteString> keyPackages(Client client, int n) {
    List<ByteString> batch = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      batch.add(keyPackage(client));
    }
    return batch;
  }

  PublishKeyPackagesResponse publish(Client client, List<ByteString> batch) {
    return publishes.publish(client.principal(), PublishKeyPackagesRequest.newBuilder().addAllKeyPackages(batch).build());
  }

  /** {@code claimer} claims {@link #SUITE} KeyPackages of its own user's clients (all but itself, or those listed). */
  ClaimKeyPackagesResponse claim(Client claimer, Client... listed) {
    ClaimKeyPackagesRequest.Builder request = ClaimKeyPackagesRequest.newBuilder().setUserId(claimer.userId())
        .setCipherSuite(SUITE.code());
    for (Client client : listed) {
      request.addClientIds(client.id());
    }
    return claims.claim(claimer.principal(), request.build());
  }

  /** The caller's count of {@link #SUITE}, not counting a last-resort one; 0 if it has none. */
  int count(Client client) {
    return publishes.count(client.principal(), SUITE.code()).stream().mapToInt(c -> c.getCount()).sum();
  }

  /** Runs {@code call}, asserts it fails with {@code reason}, and returns the error. */
  static Refusal refused(ErrorReason reason, Executable call) {
    Refusal e = assertThrows(Refusal.class, call);
    assertEquals(reason, e.reason(), e.getMessage());
    return e;
  }

  @Override
  public void close() {
    database.close();
  }
}
