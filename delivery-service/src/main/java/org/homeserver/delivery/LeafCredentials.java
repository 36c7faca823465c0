package org.homeserver.delivery;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.LoadingCache;
import java.security.MessageDigest;
import java.security.cert.CertPathValidatorException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.homeserver.api.auth.v1.RegisteredClient;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.api.delivery.v1.GroupRule;
import org.homeserver.mls.message.Credential;
import org.homeserver.mls.message.LeafNode;
import org.homeserver.platform.auth.Principal;
import org.homeserver.platform.clients.RegisteredClients;
import org.homeserver.platform.errors.Fact;
import org.homeserver.platform.errors.Refusal;
import org.homeserver.platform.ids.CertificateChains;
import org.homeserver.platform.ids.ClientIdentity;
import org.homeserver.platform.ids.CredentialParseException;

/**
 * The Authentication Service's side of a leaf (RFC 9420 section 5.3.1): its credential is an x509
 * certificate chain valid now up to one of the AS roots of the domain its leaf certificate names a
 * client of (the SubjectAlternativeName URIs the AS wrote; PKIX, through the AS's intermediate).
 * For a client of this domain, that client is registered and the leaf's signature key is the one it
 * registered; for a client of another domain, whose AS roots come over federation, the leaf's
 * signature key is the one the certificate carries. Either way only that client can have signed it.
 */
final class LeafCredentials {
  /** How long the AS roots are kept before they are asked for again (they rotate rarely). */
  private static final Duration ROOTS_TTL = Duration.ofMinutes(5);

  /** Why a credential does not pass. */
  static final class CredentialException extends Exception {
    CredentialException(String message) {
      super(message);
    }
  }

  /** A chain and the roots it was checked against (certificates compare by their encoding). */
  private record ChainKey(List<X509Certificate> chain, List<X509Certificate> roots) {}

  /** How long a chain that passed PKIX is taken as passing without checking its signatures again. */
  private static final Duration CHAIN_TTL = Duration.ofMinutes(10);

  private final Cache<ChainKey, Boolean> validChains = Caffeine.newBuilder().expireAfterWrite(CHAIN_TTL)
      .maximumSize(100_000).build();
  private final RegisteredClients registry;
  private final LoadingCache<String, List<X509Certificate>> roots;
  private final String domain;
  private final Clock clock;

  /**
   * @param roots the DER root certificates of a domain's AS (this domain's, or another's over
   *              federation), asked for at most every few minutes per domain
   */
  LeafCredentials(RegisteredClients registry, Function<String, List<byte[]>> roots, String domain, Clock clock) {
    this.registry = registry;
    this.roots = Caffeine.newBuilder().expireAfterWrite(ROOTS_TTL).maximumSize(10_000)
        .build(d -> roots.apply(d).stream().map(CertificateChains::parse).flatMap(Optional::stream).toList());
    this.domain = domain;
    this.clock = clock;
  }

  /** The client a credential names, read from its leaf certificate without other checks. */
  Optional<String> clientOf(Credential credential) {
    return leafCertificate(credential).flatMap(LeafCredentials::identify).map(ClientIdentity::clientId);
  }

  Optional<String> clientOf(LeafNode leaf) {
    return clientOf(leaf.credential());
  }

  /** The client the credential names (of another domain: its id alone), after every check of the class comment. */
  RegisteredClient check(Credential credential, byte[] signatureKey) throws CredentialException {
    return check(credential, signatureKey, Optional.empty());
  }

  /** As {@link #check(Credential, byte[])}, the credential also having to name {@code expected}. */
  private RegisteredClient check(Credential credential, byte[] signatureKey, Optional<String> expected)
      throws CredentialException {
    if (!(credential instanceof Credential.X509(var chain)) || chain.isEmpty()) {
      throw new CredentialException("the credential is not an x509 certificate chain");
    }
    List<X509Certificate> certificates = new ArrayList<>();
    for (byte[] der : chain) {
      certificates.add(CertificateChains.parse(der).orElseThrow(() -> new CredentialException(
          "certificate " + certificates.size() + " of the chain does not parse")));
    }
    X509Certificate leaf = certificates.getFirst();
    ClientIdentity identity = identify(leaf).orElseThrow(() -> new CredentialException(
        "the certificate does not name a client"));
    requireChain(certificates, identity.domain());
    String clientId = identity.clientId();
    if (expected.isPresent() && !expected.get().equals(clientId)) {
      throw new CredentialException("the leaf's credential names " + clientId + ", not the calling client "
          + expected.get());
    }
    if (!identity.domain().equals(domain)) {
      if (!CertificateChains.certifies(leaf, signatureKey)) {
        throw new CredentialException("the signature key is not the one the certificate of " + clientId
            + " carries");
      }
      return RegisteredClient.newBuilder().setClientId(clientId).build();
    }
    RegisteredClient client = registry.client(clientId).orElseThrow(() -> new CredentialException(
        "the certificate names " + clientId + ", which is not registered"));
    if (!MessageDigest.isEqual(client.getSignaturePublicKey().toByteArray(), signatureKey)) {
      throw new CredentialException("the signature key is not the one " + clientId + " registered");
    }
    return client;
  }

  /**
   * The chain (leaf first, the AS root itself optional at the end) is valid now up to one of the AS
   * roots. A chain that passed is remembered for a while (a client's commits bring its one chain
   * again and again); its certificates' validity is still checked against the clock each time.
   */
  private void requireChain(List<X509Certificate> chain, String issuingDomain) throws CredentialException {
    List<X509Certificate> anchors = roots.get(issuingDomain);
    ChainKey key = new ChainKey(chain, anchors);
    if (validChains.getIfPresent(key) != null) {
      Instant now = clock.instant();
      if (chain.stream().allMatch(c -> !now.isBefore(c.getNotBefore().toInstant())
          && !now.isAfter(c.getNotAfter().toInstant()))) {
        return;
      }
    }
    try {
      CertificateChains.verify(chain, anchors, clock.instant());
      validChains.put(key, Boolean.TRUE);
    } catch (CertPathValidatorException e) {
      throw new CredentialException("the certificate does not chain to " + issuingDomain + "'s AS root: "
          + e.getMessage());
    }
  }

  /**
   * A leaf the calling client brings for itself (its tree at creation, its Update, its commit's
   * UpdatePath, its external commit) must pass {@link #check} and name that client;
   * GROUP_RULE_BROKEN with rule GROUP_RULE_CREDENTIAL otherwise, blaming {@code field}.
   */
  void requireOwn(Principal caller, LeafNode leaf, String field) {
    String detail;
    try {
      check(leaf.credential(), leaf.signatureKey(), Optional.of(caller.clientId()));
      return;
    } catch (CredentialException e) {
      detail = e.getMessage();
    }
    throw Refusal.ofField(ErrorReason.GROUP_RULE_BROKEN, field, "the leaf is not the calling client's: " + detail)
        .with(Fact.RULE, GroupRule.GROUP_RULE_CREDENTIAL.name()).with(Fact.DETAIL, detail);
  }

  private static Optional<ClientIdentity> identify(X509Certificate certificate) {
    try {
      return Optional.of(ClientIdentity.identify(certificate));
    } catch (CredentialParseException e) {
      return Optional.empty();
    }
  }

  private static Optional<X509Certificate> leafCertificate(Credential credential) {
    if (!(credential instanceof Credential.X509(var chain)) || chain.isEmpty()) {
      return Optional.empty();
    }
    return CertificateChains.parse(chain.getFirst());
  }
}
