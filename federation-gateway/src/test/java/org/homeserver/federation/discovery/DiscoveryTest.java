package org.homeserver.federation.discovery;

import static org.homeserver.federation.discovery.DnsResponder.srv;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.homeserver.federation.discovery.DnsResponder.Reply;
import org.homeserver.federation.discovery.Resolution.Source;
import org.homeserver.federation.discovery.Resolution.Target;
import org.homeserver.platform.testing.MutableClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class DiscoveryTest {
  private static final String B_SRV = "_homeserver-federation._tcp.b.test";
  private static final String LOCALHOST_SRV = "_homeserver-federation._tcp.localhost";
  private static final int DEFAULT_PORT = 7443;

  private final MutableClock clock = new MutableClock();
  private DnsResponder dns;

  @BeforeEach
  void startDns() throws IOException {
    dns = DnsResponder.start();
  }

  @AfterEach
  void stopDns() throws IOException {
    dns.close();
  }

  private Discovery discovery(Map<String, String> staticPeers, boolean allowPrivate) {
    return new Discovery(staticPeers, Optional.of(dns.hostPort()), allowPrivate, DEFAULT_PORT, clock);
  }

  private Discovery discovery() {
    return discovery(Map.of(), false);
  }

  @Test
  void staticTableWinsOverSrvAndMayNamePrivateAddresses() {
    dns.answer(B_SRV, srv(300, "10 0 7443 192.0.2.10."));
    Resolution found = discovery(Map.of("b.test", "127.0.0.1:9000"), false).resolve("b.test");

    assertEquals(Source.STATIC, found.source());
    assertEquals(Optional.of(new InetSocketAddress("127.0.0.1", 9000)), found.first());
    assertEquals(0, dns.queries());
    assertTrue(found.steps().getFirst().startsWith("static table: b.test is at 127.0.0.1:9000"),
        found.steps()::toString);
  }

  @Test
  void staticAnswerIsKeptUntilForgotten() {
    Discovery discovery = discovery(Map.of("b.test", "127.0.0.1:9000"), false);
    Resolution first = discovery.resolve("b.test");
    clock.advance(Duration.ofDays(1000));

    assertSame(first, discovery.resolve("b.test"));
    discovery.forget("b.test");
    assertEquals(clock.instant().getEpochSecond(), discovery.resolve("b.test").resolvedAt().getEpochSecond());
  }

  @Test
  void srvTargetsAreTriedLowestPriorityFirst() {
    dns.answer(B_SRV, srv(300, "20 0 7445 192.0.2.20.", "10 0 7444 192.0.2.10."));
    Resolution found = discovery().resolve("b.test");

    assertEquals(Source.DNS_SRV, found.source());
    assertEquals(List.of("192.0.2.10:7444", "192.0.2.20:7445"),
        found.targets().stream().map(t -> t.host() + ":" + t.port()).toList());
    assertEquals(Optional.of(new InetSocketAddress("192.0.2.10", 7444)), found.first());
    assertEquals(List.of(
        "static table: no entry for b.test",
        "DNS SRV " + B_SRV + ": 20 0 7445 192.0.2.20., 10 0 7444 192.0.2.10. (TTL 300 s, kept 300 s)",
        "192.0.2.10: 192.0.2.10",
        "192.0.2.20: 192.0.2.20",
        "try order: 192.0.2.10:7444, 192.0.2.20:7445 (lowest priority first, weighted random within a priority)"),
        found.steps());
    assertEquals(Duration.ofSeconds(300), found.cacheFor());
  }

  @Test
  void srvTtlIsKeptAtLeastAMinuteAndAtMostADay() {
    dns.answer(B_SRV, srv(10, "10 0 7443 192.0.2.10."));
    dns.answer("_homeserver-federation._tcp.c.test", srv(7 * 24 * 3600, "10 0 7443 192.0.2.10."));
    Discovery discovery = discovery();

    assertEquals(Duration.ofSeconds(60), discovery.resolve("b.test").cacheFor());
    assertEquals(Duration.ofHours(24), discovery.resolve("c.test").cacheFor());
    assertTrue(discovery.resolve("b.test").steps().contains(
        "DNS SRV " + B_SRV + ": 10 0 7443 192.0.2.10. (TTL 10 s, kept 60 s)"));
  }

  @Test
  void answerIsKeptUntilItExpiresThenAskedAgain() {
    dns.answer(B_SRV, srv(300, "10 0 7443 192.0.2.10."));
    Discovery discovery = discovery();
    Resolution first = discovery.resolve("b.test");
    clock.advance(Duration.ofSeconds(299));

    assertSame(first, discovery.resolve("B.Test."));
    assertEquals(1, dns.queries());
    clock.advance(Duration.ofSeconds(2));
    discovery.resolve("b.test");
    assertEquals(2, dns.queries());
  }

  @Test
  void failureIsKeptThirtySeconds() {
    dns.answer(B_SRV, new Reply.ServerFailure());
    Discovery discovery = discovery();
    Resolution failed = discovery.resolve("b.test");

    assertEquals(Source.UNRESOLVED, failed.source());
    assertEquals(Duration.ofSeconds(30), failed.cacheFor());
    assertTrue(failed.steps().get(1).contains("SERVFAIL"), failed.steps()::toString);
    clock.advance(Duration.ofSeconds(29));
    discovery.resolve("b.test");
    assertEquals(1, dns.queries());
    clock.advance(Duration.ofSeconds(2));
    discovery.resolve("b.test");
    assertEquals(2, dns.queries());
  }

  @Test
  void unansweredQueryIsAskedTwiceThenKeptAsAFailure() {
    dns.answer(B_SRV, new Reply.Silence());
    DnsClient impatient = new DnsClient(dns.address(), Duration.ofMillis(100));
    Discovery discovery = new Discovery(new PeerLookup(Map.of(), impatient, false, DEFAULT_PORT, clock, new Random()),
        clock);
    Resolution failed = discovery.resolve("b.test");

    assertEquals(Source.UNRESOLVED, failed.source());
    assertEquals(2, dns.udpQueries());
    assertTrue(failed.steps().get(1).contains("did not answer within 100 ms, twice"), failed.steps()::toString);
    discovery.resolve("b.test");
    assertEquals(2, dns.udpQueries());
  }

  @Test
  void dotTargetMeansNoServiceWithoutFallingBackToTheDefaultPort() {
    dns.answer(LOCALHOST_SRV, srv(300, "0 0 0 ."));
    Resolution found = discovery(Map.of(), true).resolve("localhost");

    assertEquals(Source.UNRESOLVED, found.source());
    assertTrue(found.steps().contains("DNS SRV " + LOCALHOST_SRV + ": the target \".\" says localhost offers no "
        + "federation service"), found.steps()::toString);
  }

  @Test
  void noSuchNameFallsBackToTheDomainOnTheDefaultPort() {
    Resolution found = discovery(Map.of(), true).resolve("localhost");

    assertEquals(Source.DEFAULT_PORT, found.source());
    assertEquals(Duration.ofMinutes(5), found.cacheFor());
    Target target = found.targets().getFirst();
    assertEquals(DEFAULT_PORT, target.port());
    assertTrue(target.addresses().stream().allMatch(a -> a.isLoopbackAddress()), target::toString);
    assertTrue(found.steps().contains("DNS SRV " + LOCALHOST_SRV + ": no such name (NXDOMAIN), so localhost itself "
        + "is tried on port 7443"), found.steps()::toString);
    assertTrue(found.steps().contains("localhost: 127.0.0.1 allowed although a loopback address "
        + "(federation.allow-private-addresses is on)"), found.steps()::toString);
  }

  @Test
  void nameWithoutSrvRecordsFallsBackToTheDefaultPort() {
    dns.answer(LOCALHOST_SRV, srv(300));
    Resolution found = discovery(Map.of(), true).resolve("localhost");

    assertEquals(Source.DEFAULT_PORT, found.source());
  }

  @Test
  void loopbackIsRefusedUnlessAllowed() {
    Resolution refused = discovery().resolve("localhost");

    assertEquals(Source.UNRESOLVED, refused.source());
    assertTrue(refused.steps().contains("localhost: 127.0.0.1 refused: a loopback address "
        + "(federation.allow-private-addresses is off)"), refused.steps()::toString);
  }

  @Test
  void privateSrvTargetIsRefusedAndTheNextOneTried() {
    dns.answer(B_SRV, srv(300, "10 0 7443 10.0.0.5.", "20 0 7443 192.0.2.20."));
    Resolution found = discovery().resolve("b.test");

    assertEquals(Source.DNS_SRV, found.source());
    assertEquals(List.of("192.0.2.20"), found.targets().stream().map(Target::host).toList());
    assertTrue(found.steps().contains("10.0.0.5: 10.0.0.5 refused: a private address "
        + "(federation.allow-private-addresses is off)"), found.steps()::toString);
  }

  @Test
  void truncatedUdpAnswerIsAskedAgainOverTcp() {
    dns.answer(B_SRV, new Reply.Srv(300, List.of("10 0 7443 192.0.2.10."), true));
    Resolution found = discovery().resolve("b.test");

    assertEquals(Source.DNS_SRV, found.source());
    assertEquals(1, dns.udpQueries());
    assertEquals(1, dns.tcpQueries());
    assertTrue(found.steps().contains("DNS SRV " + B_SRV + ": the UDP answer was truncated, so the query was asked "
        + "again over TCP"), found.steps()::toString);
  }

  @Test
  void resolveFreshBypassesTheCacheAndKeepsTheNewAnswer() {
    dns.answer(B_SRV, srv(300, "10 0 7443 192.0.2.10."));
    Discovery discovery = discovery();
    discovery.resolve("b.test");
    dns.answer(B_SRV, srv(600, "10 0 7443 192.0.2.99."));

    Resolution fresh = discovery.resolveFresh("b.test");
    assertEquals("192.0.2.99", fresh.targets().getFirst().host());
    clock.advance(Duration.ofSeconds(500));
    assertSame(fresh, discovery.resolve("b.test"));
    assertEquals(2, dns.queries());
  }

  @Test
  void forgetMakesTheNextResolveAskAgain() {
    dns.answer(B_SRV, srv(300, "10 0 7443 192.0.2.10."));
    Discovery discovery = discovery();
    discovery.resolve("b.test");
    discovery.forget("b.test");
    discovery.resolve("b.test");

    assertEquals(2, dns.queries());
  }

  @Test
  void notADomainIsRefusedBeforeAnyQuery() {
    Discovery discovery = discovery();

    assertThrows(IllegalArgumentException.class, () -> discovery.resolve("b..test"));
    assertThrows(IllegalArgumentException.class, () -> discovery.resolve("b.test:7443"));
    assertEquals(0, dns.queries());
  }
}
