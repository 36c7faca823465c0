package org.homeserver.launcher;

import static org.homeserver.launcher.Failures.assertFails;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.Status.Code;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.api.delivery.v1.QueueEntry;
import org.homeserver.api.keypackage.v1.ClaimKeyPackagesRequest;
import org.homeserver.api.keypackage.v1.ClaimedKeyPackage;
import org.homeserver.api.keypackage.v1.GetKeyPackageCountRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * KeyPackage claims over gRPC with the real auth, directory and delivery behind them: a stranger is
 * refused, 100 concurrent claims against 50 KeyPackages hand out each at most once, then the kept
 * last, and the client is told once that its stock is low.
 */
class KeyPackageClaimsTest {
  private static TestHomeserver server;

  @BeforeAll
  static void start() throws Exception {
    server = TestHomeserver.withUsers("alice", "bob", "carol");
  }

  @AfterAll
  static void stop() {
    server.close();
  }



  @Test
  void aStrangerCannotClaim() {
    TestMember bob = TestMember.register(server, "bob");
    bob.publishKeyPackages(server, 5);
    TestMember carol = TestMember.register(server, "carol");
    assertFails(Code.PERMISSION_DENIED, ErrorReason.NOT_CONNECTED, () -> carol.keyPackages().claimKeyPackages(
        ClaimKeyPackagesRequest.newBuilder().setUserId(bob.client.userId()).setCipherSuite(bob.suite.code()).build()));
    assertEquals(5, bob.keyPackages().getKeyPackageCount(GetKeyPackageCountRequest.getDefaultInstance())
        .getCounts(0).getCount());
  }

  @Test
  void concurrentClaimsNeverHandOutAKeyPackageTwice() throws Exception {
    TestMember target = TestMember.register(server, "alice");
    TestMember claimer = TestMember.register(server, "alice");
    target.publishKeyPackages(server, 50);
    ClaimKeyPackagesRequest claim = ClaimKeyPackagesRequest.newBuilder().setUserId(target.client.userId())
        .setCipherSuite(target.suite.code()).addClientIds(target.id()).build();
    List<Future<ClaimedKeyPackage>> claims = new ArrayList<>();
    try (ExecutorService pool = Executors.newFixedThreadPool(16)) {
      for (int i = 0; i < 100; i++) {
        claims.add(pool.submit(() -> claimer.keyPackages().claimKeyPackages(claim).getKeyPackages(0)));
      }
    }
    Set<ByteString> deleted = new HashSet<>();
    Set<ByteString> kept = new HashSet<>();
    for (Future<ClaimedKeyPackage> f : claims) {
      ClaimedKeyPackage claimed = f.get();
      if (claimed.getKept()) {
        kept.add(claimed.getKeyPackage());
      } else {
        assertTrue(deleted.add(claimed.getKeyPackage()), "a KeyPackage was handed out twice");
      }
    }
    assertEquals(49, deleted.size(), "every KeyPackage but the last is handed out once");
    assertEquals(1, kept.size(), "then only the kept last one");
    assertTrue(!deleted.containsAll(kept));
    List<QueueEntry> told = target.drain();
    assertEquals(1, told.size(), "one KeyPackagesLow until the next publish: " + told);
    assertEquals(9, told.getFirst().getEvent().getKeyPackagesLow().getCount(), "told when it first fell below 10");
    assertEquals(10, told.getFirst().getEvent().getKeyPackagesLow().getThreshold());
  }
}
