package org.homeserver.platform.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.homeserver.api.directory.v1.DirectoryInternalServiceGrpc;
import org.homeserver.api.directory.v1.SpendClaimRightRequest;
import org.homeserver.api.directory.v1.SpendClaimRightResponse;
import org.homeserver.api.notifier.v1.NotifierInternalServiceGrpc;
import org.homeserver.api.notifier.v1.NotifyClientsRequest;
import org.homeserver.api.notifier.v1.NotifyClientsResponse;
import org.homeserver.platform.config.ConfigException;
import org.homeserver.platform.config.HomeserverConfig.InternalTls;
import org.homeserver.platform.grpc.tls.InternalPortTls;
import org.homeserver.platform.testing.TestCertificateAuthority;
import org.homeserver.platform.testing.TestCertificateAuthority.Issued;
import org.homeserver.platform.testing.TestCertificateAuthority.KeyFormat;
import org.homeserver.platform.testing.TestPorts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The channels between services: retries exactly the methods the .proto files declare repeatable,
 * spread calls over every instance, and speak mutual TLS with the operator's CA when configured.
 */
class InternalChannelsTest {
  private static final String TOKEN = "internal-channels-test-token-0123456789";
  private final List<Server> servers = new ArrayList<>();
  private final List<ManagedChannel> channels = new ArrayList<>();
  private final List<InternalPortTls> tls = new ArrayList<>();

  @AfterEach
  void stop() {
    channels.forEach(ManagedChannel::shutdownNow);
    servers.forEach(Server::shutdownNow);
    tls.forEach(InternalPortTls::close);
  }

  /** A notifier and directory whose first {@code failures} calls fail UNAVAILABLE; counts the calls. */
  private static final class Flaky {
    final AtomicInteger calls = new AtomicInteger();
    final int failures;

    Flaky(int failures) {
      this.failures = failures;
    }

    boolean fails(StreamObserver<?> observer) {
      if (calls.incrementAndGet() <= failures) {
        observer.onError(Status.UNAVAILABLE.withDescription("going away").asRuntimeException());
        return true;
      }
      return false;
    }
  }

  private int serve(Flaky flaky, Optional<InternalPortTls> serverTls) throws Exception {
    int port = TestPorts.free();
    var notifier = new NotifierInternalServiceGrpc.NotifierInternalServiceImplBase() {
      @Override
      public void notifyClients(NotifyClientsRequest request, StreamObserver<NotifyClientsResponse> observer) {
        if (!flaky.fails(observer)) {
          observer.onNext(NotifyClientsResponse.getDefaultInstance());
          observer.onCompleted();
        }
      }
    };
    var directory = new DirectoryInternalServiceGrpc.DirectoryInternalServiceImplBase() {
      @Override
      public void spendClaimRight(SpendClaimRightRequest request, StreamObserver<SpendClaimRightResponse> observer) {
        if (!flaky.fails(observer)) {
          observer.onNext(SpendClaimRightResponse.getDefaultInstance());
          observer.onCompleted();
        }
      }
    };
    ServerInterceptor token = new SharedTokenInterceptor(TOKEN, "the internal API");
    NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port))
        .addService(ServerInterceptors.intercept(notifier, token))
        .addService(ServerInterceptors.intercept(directory, token));
    serverTls.ifPresent(t -> builder.sslContext(t.server()));
    servers.add(builder.build().start());
    return port;
  }

  private ManagedChannel channel(String target, Optional<InternalPortTls> clientTls) {
    ManagedChannel channel = InternalChannels.network(target, TOKEN, clientTls);
    channels.add(channel);
    return channel;
  }

  private static NotifierInternalServiceGrpc.NotifierInternalServiceBlockingStub notifier(ManagedChannel channel) {
    return NotifierInternalServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  @Test
  void aRepeatableMethodIsTriedAgainWhenAnAttemptFindsNoServer() throws Exception {
    Flaky flaky = new Flaky(2);
    ManagedChannel channel = channel("127.0.0.1:" + serve(flaky, Optional.empty()), Optional.empty());
    notifier(channel).notifyClients(NotifyClientsRequest.getDefaultInstance());
    assertEquals(3, flaky.calls.get(), "NotifyClients is IDEMPOTENT: two failed attempts, then the one that worked");
  }

  @Test
  void aMethodThatMustNotBeRepeatedIsTriedOnce() throws Exception {
    Flaky flaky = new Flaky(1);
    ManagedChannel channel = channel("127.0.0.1:" + serve(flaky, Optional.empty()), Optional.empty());
    StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, () -> DirectoryInternalServiceGrpc
        .newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
        .spendClaimRight(SpendClaimRightRequest.getDefaultInstance()));
    assertEquals(Status.Code.UNAVAILABLE, refused.getStatus().getCode());
    assertEquals(1, flaky.calls.get(), "SpendClaimRight spends something: one attempt");
  }

  @Test
  void callsGoRoundRobinOverTheListedInstances() throws Exception {
    Flaky first = new Flaky(0);
    Flaky second = new Flaky(0);
    ManagedChannel channel = channel("127.0.0.1:" + serve(first, Optional.empty()) + ",127.0.0.1:"
        + serve(second, Optional.empty()), Optional.empty());
    for (int i = 0; i < 20; i++) {
      notifier(channel).notifyClients(NotifyClientsRequest.getDefaultInstance());
    }
    assertEquals(20, first.calls.get() + second.calls.get());
    assertTrue(first.calls.get() >= 5 && second.calls.get() >= 5,
        "both instances take calls: " + first.calls + " and " + second.calls);
  }

  @Test
  void callsGoOnThroughTheOtherInstanceWhenOneStops() throws Exception {
    Flaky first = new Flaky(0);
    Flaky second = new Flaky(0);
    ManagedChannel channel = channel("127.0.0.1:" + serve(first, Optional.empty()) + ",127.0.0.1:"
        + serve(second, Optional.empty()), Optional.empty());
    notifier(channel).notifyClients(NotifyClientsRequest.getDefaultInstance());
    servers.getFirst().shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    int before = second.calls.get();
    for (int i = 0; i < 10; i++) {
      notifier(channel).notifyClients(NotifyClientsRequest.getDefaultInstance());
    }
    assertEquals(before + 10, second.calls.get(), "every call after the stop went to the instance left");
  }

  @Test
  void mutualTlsAcceptsOnlyCertificatesOfTheOperatorsCa() throws Exception {
    TestCertificateAuthority operator = TestCertificateAuthority.create("Operator CA");
    InternalPortTls serverTls = internalTls(operator, operator);
    int port = serve(new Flaky(0), Optional.of(serverTls));

    notifier(channel("127.0.0.1:" + port, Optional.of(internalTls(operator, operator))))
        .notifyClients(NotifyClientsRequest.getDefaultInstance());

    TestCertificateAuthority stranger = TestCertificateAuthority.create("Another CA");
    // A client whose certificate the operator's CA did not issue, even one that trusts that CA.
    StatusRuntimeException foreign = assertThrows(StatusRuntimeException.class, () ->
        notifier(channel("127.0.0.1:" + port, Optional.of(internalTls(stranger, operator))))
            .notifyClients(NotifyClientsRequest.getDefaultInstance()));
    assertEquals(Status.Code.UNAVAILABLE, foreign.getStatus().getCode());
    StatusRuntimeException plaintext = assertThrows(StatusRuntimeException.class, () ->
        notifier(channel("127.0.0.1:" + port, Optional.empty())).notifyClients(NotifyClientsRequest.getDefaultInstance()));
    assertEquals(Status.Code.UNAVAILABLE, plaintext.getStatus().getCode());
  }

  @Test
  void eachListedInstanceIsCheckedAgainstItsOwnName() throws Exception {
    TestCertificateAuthority operator = TestCertificateAuthority.create("Operator CA");
    Flaky byName = new Flaky(0);
    Flaky byAddress = new Flaky(0);
    int first = serve(byName, Optional.of(internalTls(operator.issueForBothEnds("a", "localhost"), operator)));
    int second = serve(byAddress, Optional.of(internalTls(operator.issueForBothEnds("b", "127.0.0.1"), operator)));
    ManagedChannel channel = channel("localhost:" + first + ",127.0.0.1:" + second,
        Optional.of(internalTls(operator.issueForBothEnds("caller"), operator)));
    for (int i = 0; i < 10; i++) {
      notifier(channel).notifyClients(NotifyClientsRequest.getDefaultInstance());
    }
    assertTrue(byName.calls.get() > 0 && byAddress.calls.get() > 0,
        "both instances, each certified for its own name only, take calls: " + byName.calls + " and " + byAddress.calls);
  }

  /** Mutual TLS with a certificate {@code issuer} issued, trusting {@code trusted}. */
  private InternalPortTls internalTls(TestCertificateAuthority issuer, TestCertificateAuthority trusted)
      throws Exception, ConfigException {
    return internalTls(issuer.issueForBothEnds("service"), trusted);
  }

  /** Mutual TLS with {@code issued}, trusting {@code trusted}. */
  private InternalPortTls internalTls(Issued issued, TestCertificateAuthority trusted) throws Exception, ConfigException {
    Path dir = Files.createTempDirectory("internal-tls");
    issued.writeChain(dir.resolve("service.pem"));
    issued.writeKey(dir.resolve("service.key"), KeyFormat.PKCS8);
    trusted.writeCertificate(dir.resolve("ca.pem"));
    InternalPortTls started = InternalPortTls.start(Optional.of(new InternalTls(dir.resolve("service.pem"),
        dir.resolve("service.key"), dir.resolve("ca.pem")))).orElseThrow();
    tls.add(started);
    return started;
  }
}
