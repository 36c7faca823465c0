package org.homeserver.federation.trust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Metadata;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import org.homeserver.federation.FederationModule;
import org.homeserver.federation.trust.RequestSignature.PeerKey;
import org.homeserver.federation.trust.RequestSignature.Verified;
import org.homeserver.platform.db.ServiceDatabase;
import org.homeserver.platform.testing.TestPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class SeenRequestsTest {
  private static final Instant NOW = Instant.parse("2026-12-05T04:00:00Z");
  private static ServiceDatabase database;
  private static SeenRequests seen;

  @BeforeAll
  static void open() {
    database = ServiceDatabase.open(TestPostgres.freshDatabase(), FederationModule.NAME, 2);
    seen = new SeenRequests(database.transactions());
  }

  @AfterAll
  static void close() {
    database.close();
  }

  @Test
  void aReplayedSignedCallIsSeenTheSecondTime() {
    SigningKey key = SigningKey.generate(NOW, NOW.plus(Duration.ofDays(365)));
    Metadata headers = RequestSignature.sign(key, "homeserver.federation.v1.FederationService/DeliverBatch",
        "a.example", "b.example", new byte[] {7}, NOW);
    RequestSignature.KeyLookup keys = (origin, keyId) ->
        Optional.of(new PeerKey(key.publicKey(), key.validFrom(), key.validUntil()));

    Verified first = RequestSignature.verify(headers, "homeserver.federation.v1.FederationService/DeliverBatch",
        "b.example", new byte[] {7}, keys, NOW);
    assertTrue(seen.firstSight(first.origin(), first.requestId(), first.rememberUntil()));
    // The same metadata again a minute later still verifies: only the seen request id tells the replay.
    Verified replay = RequestSignature.verify(headers, "homeserver.federation.v1.FederationService/DeliverBatch",
        "b.example", new byte[] {7}, keys, NOW.plusSeconds(60));
    assertFalse(seen.firstSight(replay.origin(), replay.requestId(), replay.rememberUntil()));
  }

  @Test
  void requestIdsAreKeptPerOrigin() {
    String id = requestId();

    assertTrue(seen.firstSight("a.example", id, NOW.plus(Duration.ofMinutes(10))));
    assertTrue(seen.firstSight("c.example", id, NOW.plus(Duration.ofMinutes(10))));
    assertFalse(seen.firstSight("a.example", id, NOW.plus(Duration.ofMinutes(20))));
  }

  @Test
  void expiredRequestIdsAreForgottenAndTheRestKept() {
    String expired = requestId();
    String kept = requestId();
    Instant cleanup = NOW.plus(Duration.ofDays(400));
    seen.firstSight("d.example", expired, cleanup.minusSeconds(1));
    seen.firstSight("d.example", kept, cleanup.plusSeconds(1));

    assertTrue(seen.deleteExpired(cleanup) >= 1);
    assertTrue(seen.firstSight("d.example", expired, cleanup.plus(Duration.ofMinutes(10))));
    assertFalse(seen.firstSight("d.example", kept, cleanup.plus(Duration.ofMinutes(10))));
    assertEquals(0L, (long) database.transactions().withHandle(h -> h.createQuery(
        "select count(*) from seen_requests where expires_at <= :t").bind("t", cleanup).mapTo(Long.class).one()));
  }

  private static String requestId() {
    return UUID.randomUUID().toString().replace("-", "");
  }
}
