package org.homeserver.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.io.ByteArrayInputStream;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.homeserver.api.auth.v1.GetAuthenticationRootsRequest;
import org.homeserver.api.auth.v1.GetServerInfoRequest;
import org.homeserver.api.auth.v1.ListClientsRequest;
import org.homeserver.api.auth.v1.ListClientsResponse;
import org.homeserver.api.auth.v1.RegisterUserRequest;
import org.homeserver.api.common.v1.SignatureScheme;

import org.homeserver.launcher.TestHomeserver.TestClient;
import org.homeserver.platform.ids.ClientIdentity;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The whole authentication path over real gRPC ports, on the real PostgreSQL, with Redis and with
 * in-process signalling: register, register two clients, obtain tokens, call an authenticated RPC,
 * and check the issued credentials as any client would, with Java's own PKIX validator.
 */
class AuthenticationPathTest {
  static Stream<Arguments> signalling() {
    return Stream.of(Arguments.of("redis"), Arguments.of("in-process"));
  }

  private static TestHomeserver start(String signalling) throws Exception {
    return signalling.equals("redis") ? TestHomeserver.withRedis(Map.of()) : TestHomeserver.start(Map.of());
  }

  @ParameterizedTest(name = "{0} signalling")
  @MethodSource("signalling")
  void userRegistersTwoClientsWhoseTokensAndCredentialsWork(String signalling) throws Exception {
    try (TestHomeserver hs = start(signalling)) {
      var register = hs.auth().registerUser(RegisterUserRequest.newBuilder().setHandle("alice")
          .setPassword(TestHomeserver.PASSWORD).build());
      assertEquals("mimi://example.org/u/alice", register.getUserId());

      TestClient laptop = hs.registerClient("alice", SignatureScheme.ED25519);
      TestClient phone = hs.registerClient("alice", SignatureScheme.ECDSA_SECP256R1_SHA256);
      assertTrue(laptop.clientId().startsWith("mimi://example.org/c/alice/"), laptop.clientId());

      String laptopToken = hs.session(laptop);
      String phoneToken = hs.session(phone);

      ListClientsResponse mine = hs.auth(laptopToken).listClients(ListClientsRequest.getDefaultInstance());
      assertEquals("mimi://example.org/u/alice", mine.getUserId());
      assertEquals(register.getUserUuid(), mine.getUserUuid());
      assertEquals(Set.of(laptop.clientId(), phone.clientId()),
          Set.copyOf(mine.getClientsList().stream().map(c -> c.getClientId()).toList()));
      assertEquals(mine, hs.auth(phoneToken).listClients(ListClientsRequest.getDefaultInstance()));

      var roots = hs.auth().getAuthenticationRoots(GetAuthenticationRootsRequest.getDefaultInstance());
      assertEquals("example.org", roots.getDomain());
      X509Certificate root = certificate(roots.getRootCertificates(0));
      for (TestClient client : List.of(laptop, phone)) {
        CertPath path = path(client.chain());
        validate(path, root);
        X509Certificate leaf = (X509Certificate) path.getCertificates().getFirst();
        ClientIdentity named = ClientIdentity.identify(leaf, "example.org");
        assertEquals(client.clientId(), named.clientId());
        assertEquals("mimi://example.org/u/alice", named.userId());
        assertEquals("alice", named.handle());
        assertTrue(Arrays.equals(client.key().signatureKey().toPublicKey().getEncoded(),
            leaf.getPublicKey().getEncoded()), "the credential binds the client's own signature key");
      }
    }
  }

  @ParameterizedTest(name = "{0} signalling")
  @MethodSource("signalling")
  void credentialDoesNotValidateUnderAnotherHomeserversRoot(String signalling) throws Exception {
    try (TestHomeserver ours = start(signalling); TestHomeserver theirs = start(signalling)) {
      ours.registerUser("alice");
      TestClient client = ours.registerClient("alice", SignatureScheme.ED25519);
      X509Certificate foreignRoot = certificate(theirs.auth()
          .getAuthenticationRoots(GetAuthenticationRootsRequest.getDefaultInstance()).getRootCertificates(0));
      assertThrows(CertPathValidatorException.class, () -> validate(path(client.chain()), foreignRoot));
    }
  }

  @ParameterizedTest(name = "{0} signalling")
  @MethodSource("signalling")
  void serverInfoIsPublic(String signalling) throws Exception {
    try (TestHomeserver hs = start(signalling)) {
      var info = hs.auth().getServerInfo(GetServerInfoRequest.getDefaultInstance());
      assertEquals("example.org", info.getDomain());
      assertEquals(900, info.getAccessTokenTtlSeconds());
      assertEquals(List.of(SignatureScheme.ED25519, SignatureScheme.ECDSA_SECP256R1_SHA256),
          info.getSignatureSchemesList());
    }
  }

  static X509Certificate certificate(ByteString der) throws Exception {
    return (X509Certificate) CertificateFactory.getInstance("X.509")
        .generateCertificate(new ByteArrayInputStream(der.toByteArray()));
  }

  static CertPath path(List<ByteString> chain) throws Exception {
    List<X509Certificate> certificates = new java.util.ArrayList<>();
    for (ByteString der : chain) {
      certificates.add(certificate(der));
    }
    return CertificateFactory.getInstance("X.509").generateCertPath(certificates);
  }

  static void validate(CertPath path, X509Certificate root) throws Exception {
    PKIXParameters parameters = new PKIXParameters(Set.of(new TrustAnchor(root, null)));
    parameters.setRevocationEnabled(false);
    CertPathValidator.getInstance("PKIX").validate(path, parameters);
  }

}
