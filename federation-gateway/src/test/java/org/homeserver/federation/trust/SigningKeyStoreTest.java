package org.homeserver.federation.trust;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.homeserver.federation.FederationModule;
import org.homeserver.platform.db.PostgresLocation;
import org.homeserver.platform.db.ServiceDatabase;
import org.homeserver.platform.secrets.KeyEncryptionKey;
import org.homeserver.platform.secrets.SealedKeyException;
import org.homeserver.platform.secrets.Sealer;
import org.homeserver.platform.testing.TestPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class SigningKeyStoreTest {
  private static final Instant START = Instant.parse("2026-12-05T04:00:00.123456Z");
  private static final KeyEncryptionKey KEK = KeyEncryptionKey.generate(new SecureRandom());
  private static PostgresLocation location;
  private static ServiceDatabase database;

  @BeforeAll
  static void open() {
    location = TestPostgres.freshDatabase();
    database = ServiceDatabase.open(location, FederationModule.NAME, 4);
  }

  @AfterAll
  static void close() {
    database.close();
  }

  @BeforeEach
  void noKeys() {
    database.transactions().useHandle(h -> h.execute("delete from signing_keys"));
  }

  private static SigningKeyStore store() {
    return new SigningKeyStore(database.transactions(), new Sealer(KEK, List.of()));
  }

  @Test
  void theFirstKeyIsMadeOnceValidForAYearAndPublished() {
    SigningKeyStore store = store();

    SigningKey key = store.current(START);
    assertEquals(START.truncatedTo(ChronoUnit.SECONDS), key.validFrom());
    assertEquals(key.validFrom().plus(Duration.ofDays(365)), key.validUntil());
    assertEquals(key, store.current(START.plusSeconds(1)));
    assertEquals(key, store().current(START.plus(Duration.ofDays(2))));
    assertEquals(List.of(key), store.published(START));
    assertEquals(1, rows());
  }

  @Test
  void storesStartingAtOnceAgreeOnOneKey() throws Exception {
    int processes = 6;
    List<ServiceDatabase> databases = new ArrayList<>();
    for (int i = 0; i < processes; i++) {
      databases.add(ServiceDatabase.open(location, FederationModule.NAME, 2));
    }
    CountDownLatch start = new CountDownLatch(1);
    try (ExecutorService threads = Executors.newFixedThreadPool(processes)) {
      List<Future<String>> keyIds = new ArrayList<>();
      for (ServiceDatabase each : databases) {
        SigningKeyStore store = new SigningKeyStore(each.transactions(), new Sealer(KEK, List.of()));
        keyIds.add(threads.submit(() -> {
          start.await();
          return store.current(START).keyId();
        }));
      }
      start.countDown();
      Set<String> distinct = keyIds.stream().map(SigningKeyStoreTest::get).collect(Collectors.toSet());
      assertEquals(1, distinct.size(), distinct.toString());
    } finally {
      databases.forEach(ServiceDatabase::close);
    }
    assertEquals(1, rows());
  }

  @Test
  void aReopenedDatabaseGivesBackTheSameKey() {
    SigningKey made = store().current(START);
    byte[] signature = made.sign(new byte[] {1, 2, 3});

    try (ServiceDatabase reopened = ServiceDatabase.open(location, FederationModule.NAME, 2)) {
      SigningKey read = new SigningKeyStore(reopened.transactions(), new Sealer(KEK, List.of())).current(START.plusSeconds(60));
      assertEquals(made, read);
      assertArrayEquals(made.publicKey(), read.publicKey());
      assertArrayEquals(made.privateKey().getEncoded(), read.privateKey().getEncoded());
      // The private key read back signs what the public key published verifies, and the other way round.
      assertTrue(SigningKey.verify(read.publicKey(), new byte[] {1, 2, 3}, signature));
      assertTrue(SigningKey.verify(made.publicKey(), new byte[] {4}, read.sign(new byte[] {4})));
    }
  }

  @Test
  void privateKeysAreSealedAtRestBoundToTheirKeyId() {
    SigningKey key = store().current(START);

    byte[] stored = database.transactions().withHandle(h -> h.createQuery(
        "select sealed_private_key from signing_keys where key_id = :id").bind("id", key.keyId()).mapTo(byte[].class).one());
    assertTrue(Sealer.isSealed(stored));
    byte[] pkcs8 = key.privateKey().getEncoded();
    byte[] seed = Arrays.copyOfRange(pkcs8, pkcs8.length - 32, pkcs8.length);
    assertFalse(contains(stored, seed), "the stored value holds the private key in the clear");
    assertArrayEquals(pkcs8, new Sealer(KEK, List.of()).unseal(stored, "federation.signing_keys/" + key.keyId()));
    // Another key-encryption key cannot open it: the key is not readable from the database alone.
    SigningKeyStore withoutTheKek = new SigningKeyStore(database.transactions(),
        new Sealer(KeyEncryptionKey.generate(new SecureRandom()), List.of()));
    assertThrows(SealedKeyException.class, () -> withoutTheKek.current(START));
  }

  @Test
  void aKeySealedUnderAPreviousKeyEncryptionKeyIsSealedAgainUnderTheCurrentOne() {
    SigningKey key = store().current(START);
    KeyEncryptionKey next = KeyEncryptionKey.generate(new SecureRandom());

    assertEquals(key, new SigningKeyStore(database.transactions(), new Sealer(next, List.of(KEK))).current(START));
    // Now the new key-encryption key alone opens it.
    assertEquals(key, new SigningKeyStore(database.transactions(), new Sealer(next, List.of())).current(START));
  }

  @Test
  void aKeyThirtyDaysFromExpiryGetsASuccessorPublishedBeforeItSigns() {
    SigningKeyStore store = store();
    SigningKey first = store.current(START);

    Instant renewal = first.validUntil().minus(Duration.ofDays(30));
    assertEquals(List.of(first), store.published(renewal.minusSeconds(1)));
    assertEquals(first, store.current(renewal));
    List<SigningKey> published = store.published(renewal);
    assertEquals(2, published.size(), published.toString());
    SigningKey successor = published.get(1);
    assertEquals(first, published.get(0));
    assertEquals(renewal, successor.validFrom());
    assertEquals(renewal.plus(Duration.ofDays(365)), successor.validUntil());
    // Another process sees the same two keys, and makes no third.
    assertEquals(published, store().published(renewal.plus(Duration.ofHours(1))));

    Instant expiry = first.validUntil();
    assertEquals(first, store.current(expiry.minusSeconds(1)));
    assertEquals(successor, store.current(expiry));
    assertEquals(List.of(successor), store.published(expiry));
    assertEquals(2, rows());
  }

  @Test
  void keysThatAllExpiredAreReplacedByANewOne() {
    SigningKey first = store().current(START);

    Instant muchLater = first.validUntil().plus(Duration.ofDays(100));
    SigningKey fresh = store().current(muchLater);
    assertFalse(fresh.keyId().equals(first.keyId()));
    assertEquals(List.of(fresh), store().published(muchLater));
  }

  private static long rows() {
    return database.transactions().withHandle(h -> h.createQuery("select count(*) from signing_keys")
        .mapTo(Long.class).one());
  }

  private static boolean contains(byte[] haystack, byte[] needle) {
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      if (Arrays.equals(haystack, i, i + needle.length, needle, 0, needle.length)) {
        return true;
      }
    }
    return false;
  }

  private static <T> T get(Future<T> future) {
    try {
      return future.get();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
