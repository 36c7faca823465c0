package org.homeserver.bench.load;

import io.grpc.ManagedChannel;
import java.time.Instant;
import java.util.List;
import org.homeserver.api.delivery.v1.DeliveryServiceGrpc;
import org.homeserver.api.directory.v1.DirectoryServiceGrpc;
import org.homeserver.api.keypackage.v1.KeyPackageServiceGrpc;
import org.homeserver.api.notifier.v1.NotifierServiceGrpc;
import org.homeserver.mls.TestGroup;
import org.homeserver.mls.TestKeyPackages;
import org.homeserver.mls.TestKeyPackages.SigningKey;
import org.homeserver.mls.crypto.CipherSuite;
import org.homeserver.mls.message.Credential;
import org.homeserver.mls.message.KeyPackage;
import org.homeserver.platform.grpc.BearerTokens;

/**
 * One client of the run as its own software would hold it: its user, the id and X.509 chain the
 * Authentication Service gave it, its MLS signature key, its access token and its connection.
 */
public record SimulatedClient(int index, String userId, String clientId, SigningKey key, List<byte[]> certificateChain, String accessToken,
                       ManagedChannel channel) {
  static final CipherSuite SUITE = CipherSuite.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;

  DeliveryServiceGrpc.DeliveryServiceBlockingStub delivery() {
    return DeliveryServiceGrpc.newBlockingStub(channel).withCallCredentials(BearerTokens.credentials(accessToken));
  }

  DeliveryServiceGrpc.DeliveryServiceStub deliveryAsync() {
    return DeliveryServiceGrpc.newStub(channel).withCallCredentials(BearerTokens.credentials(accessToken));
  }

  KeyPackageServiceGrpc.KeyPackageServiceBlockingStub keyPackages() {
    return KeyPackageServiceGrpc.newBlockingStub(channel).withCallCredentials(BearerTokens.credentials(accessToken));
  }

  DirectoryServiceGrpc.DirectoryServiceBlockingStub directory() {
    return DirectoryServiceGrpc.newBlockingStub(channel).withCallCredentials(BearerTokens.credentials(accessToken));
  }

  NotifierServiceGrpc.NotifierServiceBlockingStub notifier() {
    return NotifierServiceGrpc.newBlockingStub(channel).withCallCredentials(BearerTokens.credentials(accessToken));
  }

  /** This client as an MLS group sees it: its signature key and the x509 credential the AS issued. */
  TestGroup.Member member() {
    return new TestGroup.Member(key, new Credential.X509(certificateChain));
  }

  /** A fresh KeyPackage with this client's x509 credential and signature key, as it would publish one. */
  KeyPackage keyPackage() {
    return TestKeyPackages.create(SUITE, member().credential(), key, Instant.now());
  }
}
