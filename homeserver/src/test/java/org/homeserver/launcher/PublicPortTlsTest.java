package org.homeserver.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import javax.net.ssl.SSLHandshakeException;
import org.homeserver.api.auth.v1.GetServerInfoRequest;
import org.homeserver.launcher.HomeserverLifecycleTest.Cli;
import org.homeserver.platform.config.ConfigException;
import org.homeserver.platform.config.HomeserverConfig;
import org.homeserver.platform.grpc.tls.PublicPortTls;
import org.homeserver.platform.testing.CapturedLogs;
import org.homeserver.platform.testing.Eventually;
import org.homeserver.platform.testing.TestCertificateAuthority;
import org.homeserver.platform.testing.TestCertificateAuthority.Issued;
import org.homeserver.platform.testing.TestCertificateAuthority.KeyFormat;
import org.homeserver.platform.testing.TestPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS on the public port of a running homeserver, seen by clients: who gets in, with which
 * protocol, and which certificate a new connection gets after the files change on disk.
 */
class PublicPortTlsTest {
  private static final TestCertificateAuthority CA = TestCertificateAuthority.create("Homeserver Test CA");
  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir
  static Path shared;
  private static Issued served;
  private static TestHomeserver hs;

  @TempDir
  Path dir;

  @BeforeAll
  static void startWithTls() throws Exception {
    served = CA.issue("homeserver");
    hs = TestHomeserver.start(tlsSettings(served, shared, "10s"));
  }

  @AfterAll
  static void stop() {
    if (hs != null) {
      hs.close();
    }
  }

  /** The settings for TLS with {@code issued} written to {@code dir}. */
  private static Map<String, String> tlsSettings(Issued issued, Path dir, String reloadInterval) {
    issued.writeChain(dir.resolve("fullchain.pem"));
    issued.writeKey(dir.resolve("privkey.pem"), KeyFormat.PKCS8);
    return Map.of("server.tls.certificate-file", dir.resolve("fullchain.pem").toString(),
        "server.tls.key-file", dir.resolve("privkey.pem").toString(),
        "server.tls.reload-interval", reloadInterval);
  }

  @Test
  void aClientTrustingTheCaGetsTls13WithHttp2AndTheConfiguredCertificate() throws Exception {
    TlsProbe.Handshake handshake = TlsProbe.handshake(hs.server.port(), CA.certificate(), "TLSv1.3", "TLSv1.2");

    assertEquals("TLSv1.3", handshake.protocol());
    assertEquals("h2", handshake.applicationProtocol());
    assertEquals(served.certificate(), handshake.leaf());
  }

  @Test
  void aGrpcClientVerifyingTheCertificateAndHostNameCallsTheApi() throws Exception {
    ManagedChannel channel = TlsProbe.channel(hs.server.port(), CA.certificate());
    try {
      assertEquals(TestHomeserver.DOMAIN, TestHomeserver.auth(channel)
          .getServerInfo(GetServerInfoRequest.getDefaultInstance()).getDomain());
    } finally {
      channel.shutdownNow();
    }
  }

  @Test
  void aClientOfferingOnlyTls12IsRefused() {
    assertThrows(SSLHandshakeException.class, () -> TlsProbe.handshake(hs.server.port(), CA.certificate(), "TLSv1.2"));
  }

  @Test
  void clientsThatDoNotTrustTheCaOrExpectAnotherNameOrSpeakPlaintextFail() throws Exception {
    ManagedChannel systemRoots = NettyChannelBuilder.forAddress("localhost", hs.server.port()).build();
    ManagedChannel otherName = NettyChannelBuilder.forAddress("localhost", hs.server.port())
        .sslContext(GrpcSslContexts.forClient().trustManager(CA.certificate()).build())
        .overrideAuthority("homeserver.example.org")
        .build();
    ManagedChannel plaintext = NettyChannelBuilder.forAddress("localhost", hs.server.port()).usePlaintext().build();
    try {
      for (ManagedChannel channel : List.of(systemRoots, otherName, plaintext)) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> TestHomeserver.auth(channel)
            .withDeadlineAfter(10, TimeUnit.SECONDS).getServerInfo(GetServerInfoRequest.getDefaultInstance()));
        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.toString());
      }
    } finally {
      List.of(systemRoots, otherName, plaintext).forEach(ManagedChannel::shutdownNow);
    }
  }

  @Test
  void aCertificateReplacedOnDiskIsServedToNewConnectionsAndABrokenOneIsNot() throws Exception {
    Issued first = CA.issue("first");
    try (TestHomeserver renewing = TestHomeserver.start(tlsSettings(first, dir, "1s"));
         CapturedLogs logs = CapturedLogs.ofPackage(PublicPortTls.class.getPackageName())) {
      int port = renewing.server.port();
      ManagedChannel channel = TlsProbe.channel(port, CA.certificate());
      try {
        Issued renewed = CA.issue("renewed", TestCertificateAuthority.keyPair("RSA"));
        renewed.writeChain(dir.resolve("fullchain.pem"));
        renewed.writeKey(dir.resolve("privkey.pem"), KeyFormat.TRADITIONAL);

        awaitServedSerial(port, renewed.serial());
        assertEquals(TestHomeserver.DOMAIN, TestHomeserver.auth(channel)
            .getServerInfo(GetServerInfoRequest.getDefaultInstance()).getDomain(), "calls go on");

        Files.writeString(dir.resolve("fullchain.pem"), "half a certificate");
        await(() -> logs.at(Level.ERROR).stream().anyMatch(e -> e.contains(dir.resolve("fullchain.pem").toString())),
            "the broken file to be refused");
        assertEquals(renewed.serial(), served(port), "the last usable certificate stays served");
      } finally {
        channel.shutdownNow();
      }
    }
  }

  @Test
  void aKeyNotMatchingTheCertificateIsAStartErrorNamingBothFiles() throws Exception {
    Map<String, String> settings = tlsSettings(CA.issue("homeserver"), dir, "10s");
    CA.issue("another").writeKey(dir.resolve("privkey.pem"), KeyFormat.PKCS8);
    HomeserverConfig config = TestHomeserver.configFor(TestPostgres.freshDatabase().jdbcUrl(), dir, settings);

    ConfigException e = assertThrows(ConfigException.class, () -> Homeserver.start(config, List.of(), Clock.systemUTC()));

    assertEquals(List.of("config: server.tls.key-file: " + dir.resolve("privkey.pem") + ": holds a key that is not the "
        + "private key of the certificate (the first one in " + dir.resolve("fullchain.pem") + ")"), e.problems());
  }

  @Test
  void checkConfigReportsAnIncompleteOrUnreadableInternalTlsSetting() throws Exception {
    Path config = dir.resolve("homeserver.yaml");
    Files.writeString(config, "domain: example.org\ninternal:\n  tls:\n    certificate-file: " + dir.resolve("cert.pem")
        + "\n    key-file: " + dir.resolve("key.pem") + "\n");
    Cli incomplete = Cli.run("--config", config.toString(), "check-config");
    assertEquals(Main.EXIT_CONFIG, incomplete.status(), incomplete.err());
    assertEquals(List.of("config: internal.tls.certificate-file: internal.tls.certificate-file, internal.tls.key-file "
        + "and internal.tls.ca-file go together; set all three for mutual TLS on the internal port, or none"),
        incomplete.err().lines().toList());

    Files.writeString(config, "domain: example.org\ninternal:\n  tls:\n    certificate-file: " + dir.resolve("cert.pem")
        + "\n    key-file: " + dir.resolve("key.pem") + "\n    ca-file: " + dir.resolve("ca.pem") + "\n");
    Cli missing = Cli.run("--config", config.toString(), "check-config");
    assertEquals(Main.EXIT_CONFIG, missing.status(), missing.err());
    assertEquals(List.of("config: internal.tls.certificate-file: " + dir.resolve("cert.pem") + ": does not exist"),
        missing.err().lines().toList());
  }

  @Test
  void checkConfigReportsOneFileWithoutTheOtherAndAFileThatCannotBeRead() throws Exception {
    Path config = dir.resolve("homeserver.yaml");
    Files.writeString(config, "domain: example.org\nserver:\n  tls:\n    certificate-file: " + dir.resolve("cert.pem") + "\n");
    Cli alone = Cli.run("--config", config.toString(), "check-config");
    assertEquals(Main.EXIT_CONFIG, alone.status(), alone.err());
    assertEquals(List.of("config: server.tls.certificate-file: server.tls.certificate-file and server.tls.key-file "
        + "go together; set both for TLS, or neither"), alone.err().lines().toList());

    Files.writeString(config, "domain: example.org\nserver:\n  tls:\n    certificate-file: " + dir.resolve("cert.pem")
        + "\n    key-file: " + dir.resolve("key.pem") + "\n");
    Cli missing = Cli.run("--config", config.toString(), "check-config");
    assertEquals(Main.EXIT_CONFIG, missing.status(), missing.err());
    assertEquals(List.of("config: server.tls.certificate-file: " + dir.resolve("cert.pem") + ": does not exist"),
        missing.err().lines().toList());

    Issued issued = CA.issue("homeserver");
    issued.writeChain(dir.resolve("cert.pem"));
    issued.writeKey(dir.resolve("key.pem"), KeyFormat.TRADITIONAL);
    Cli good = Cli.run("--config", config.toString(), "check-config");
    assertEquals(0, good.status(), good.err());
  }

  private static BigInteger served(int port) throws Exception {
    return TlsProbe.handshake(port, CA.certificate(), "TLSv1.3").leaf().getSerialNumber();
  }

  private static void awaitServedSerial(int port, BigInteger serial) {
    Eventually.until("certificate " + serial.toString(16) + " served", WAIT, () -> {
      try {
        return served(port).equals(serial);
      } catch (Exception e) {
        throw new IllegalStateException("the handshake failed", e);
      }
    });
  }

  private static void await(BooleanSupplier condition, String what) {
    Eventually.until(what, WAIT, condition);
  }
}
