package org.homeserver.federation.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** DnsClient: which server it asks, and what it makes of a server that is not there. */
class DiscoveryDnsClientTest {

  @Test
  void configuredServerIsAskedOnItsPortIncludingBracketedIpv6() {
    assertEquals(new InetSocketAddress("127.0.0.1", 5353), DnsClient.forServer(Optional.of("127.0.0.1:5353")).server());
    assertEquals(new InetSocketAddress("::1", 5353), DnsClient.forServer(Optional.of("[::1]:5353")).server());
  }

  @Test
  void withoutAConfiguredServerTheSystemsNameserverIsAskedOnPort53() {
    assertEquals(53, DnsClient.forServer(Optional.empty()).server().getPort());
  }

  @Test
  void serverThatIsGoneIsAFailureNotAnEmptyAnswer() throws IOException {
    InetSocketAddress gone;
    try (DnsResponder closed = DnsResponder.start()) {
      gone = closed.address();
    }
    SrvAnswer answer = new DnsClient(gone, Duration.ofMillis(100)).querySrv("_homeserver-federation._tcp.b.test");

    assertInstanceOf(SrvAnswer.Failure.class, answer);
  }
}
