package org.homeserver.keypackage;

import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.LoadingCache;
import java.security.cert.CertPathValidatorException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.homeserver.api.keypackage.v1.ClaimKeyPackagesRequest;
import org.homeserver.api.keypackage.v1.ClaimKeyPackagesResponse;
import org.homeserver.api.keypackage.v1.ClaimedKeyPackage;
import org.homeserver.mls.codec.MlsDecodeException;
import org.homeserver.mls.crypto.CipherSuite;
import org.homeserver.mls.message.Credential;
import org.homeserver.mls.message.KeyPackage;
import org.homeserver.mls.message.MlsMessage;
import org.homeserver.mls.validation.InvalidKeyPackageException;
import org.homeserver.mls.validation.KeyPackageValidator;
import org.homeserver.platform.auth.Principal;
import org.homeserver.platform.db.IdempotentRequest;
import org.homeserver.platform.ids.CertificateChains;
import org.homeserver.platform.ids.ClientIdentity;
import org.homeserver.platform.ids.CredentialParseException;
import org.homeserver.platform.ids.UserId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Claims of the KeyPackages of users of other domains: made at their homeserver (the federation
 * gateway's internal API in production), whose refusal comes back unchanged, and every KeyPackage
 * it hands out checked again before the client gets it. One that does not decode and validate for
 * the suite, whose x509 chain does not verify (PKIX) up to one of that domain's AS roots, or whose
 * credential names another client than the one it is for is dropped, logged, and its client listed
 * among those without a KeyPackage.
 */
public final class RemoteClaims {
  private static final Logger log = LoggerFactory.getLogger(RemoteClaims.class);
  /** How long a domain's AS roots are kept before they are asked for again (they rotate rarely). */
  private static final Duration ROOTS_TTL = Duration.ofMinutes(10);

  /** What the claims need of other homeservers. */
  public interface Peers {
    /** The peer's answer to the claim, or its refusal thrown unchanged. */
    org.homeserver.api.federation.v1.ClaimKeyPackagesResponse claim(String destination,
        org.homeserver.api.federation.v1.ClaimKeyPackagesRequest request);

    /** The DER AS root certificates of {@code domain}. */
    List<byte[]> authenticationRoots(String domain);
  }

  private final Peers peers;
  private final KeyPackageValidator validator;
  private final LoadingCache<String, List<X509Certificate>> roots;
  private final Clock clock;

  public RemoteClaims(Peers peers, KeyPackageValidator validator, Clock clock) {
    this.peers = peers;
    this.validator = validator;
    this.roots = Caffeine.newBuilder().expireAfterWrite(ROOTS_TTL).maximumSize(10_000)
        .build(domain -> peers.authenticationRoots(domain).stream().map(CertificateChains::parse)
            .flatMap(Optional::stream).toList());
    this.clock = clock;
  }

  /**
   * Claims {@code target}'s KeyPackages for the caller at the target's homeserver. The key sent is
   * derived from the calling client and its key, so the client's retry gets the same KeyPackages;
   * without one, each call is a new claim.
   */
  public ClaimKeyPackagesResponse claim(Principal caller, UserId target, ClaimKeyPackagesRequest request) {
    String key = request.getIdempotencyKey().isEmpty()
        ? IdempotentRequest.derivedKey("kp-", UUID.randomUUID().toString())
        : IdempotentRequest.derivedKey("kp-", caller.clientId(), request.getIdempotencyKey());
    org.homeserver.api.federation.v1.ClaimKeyPackagesResponse answer = peers.claim(target.domain(),
        org.homeserver.api.federation.v1.ClaimKeyPackagesRequest.newBuilder().setClaimerUserId(caller.userId())
            .setUserId(target.toString()).setCipherSuite(request.getCipherSuite())
            .addAllClientIds(request.getClientIdsList()).setIdempotencyKey(key).build());
    Set<String> asked = Set.copyOf(request.getClientIdsList());
    ClaimKeyPackagesResponse.Builder out = ClaimKeyPackagesResponse.newBuilder();
    Set<String> seen = new HashSet<>();
    for (ClaimedKeyPackage claimed : answer.getKeyPackagesList()) {
      Optional<String> problem = problemOf(claimed, target, request.getCipherSuite(), asked, seen);
      if (problem.isPresent()) {
        log.warn("dropped a KeyPackage {} handed out for {}: {}", target.domain(), claimed.getClientId(),
            problem.get());
        if (ClientIdentity.parseClientId(claimed.getClientId()).filter(c -> c.userId().equals(target.toString()))
            .isPresent() && seen.add(claimed.getClientId())) {
          out.addClientsWithoutKeyPackage(claimed.getClientId());
        }
        continue;
      }
      out.addKeyPackages(claimed);
    }
    for (String without : answer.getClientsWithoutKeyPackageList()) {
      if (ClientIdentity.parseClientId(without).filter(c -> c.userId().equals(target.toString())).isPresent()
          && seen.add(without)) {
        out.addClientsWithoutKeyPackage(without);
      }
    }
    return out.build();
  }

  /** Why a KeyPackage the peer handed out for {@code target} must not reach the client, if it must not. */
  private Optional<String> problemOf(ClaimedKeyPackage claimed, UserId target, int suite, Set<String> asked,
      Set<String> seen) {
    String clientId = claimed.getClientId();
    Optional<ClientIdentity> client = ClientIdentity.parseClientId(clientId);
    if (client.isEmpty() || !client.get().userId().equals(target.toString())) {
      return Optional.of("it is for " + clientId + ", not a client of " + target);
    }
    if (!asked.isEmpty() && !asked.contains(clientId)) {
      return Optional.of("the client was not asked for");
    }
    if (seen.contains(clientId)) {
      return Optional.of("a second KeyPackage for the same client");
    }
    KeyPackage keyPackage;
    try {
      if (!(MlsMessage.decode(claimed.getKeyPackage().toByteArray()).body()
          instanceof MlsMessage.KeyPackageBody(var decoded))) {
        return Optional.of("the MLSMessage is not a KeyPackage");
      }
      keyPackage = decoded;
      CipherSuite found = validator.validate(keyPackage);
      if (found.code() != suite) {
        return Optional.of("cipher suite " + found.code() + ", not the " + suite + " claimed");
      }
    } catch (MlsDecodeException e) {
      return Optional.of("it does not decode: " + e.getMessage());
    } catch (InvalidKeyPackageException e) {
      return Optional.of("it is invalid: " + e.rule() + ": " + e.detail());
    }
    return credentialProblem(keyPackage, clientId, target.domain());
  }

  /** Whether the leaf's x509 chain verifies up to the domain's AS roots and certifies the client's key. */
  private Optional<String> credentialProblem(KeyPackage keyPackage, String clientId, String domain) {
    if (!(keyPackage.leafNode().credential() instanceof Credential.X509(var chain)) || chain.isEmpty()) {
      return Optional.of("the credential is not an x509 certificate chain");
    }
    List<X509Certificate> certificates = new ArrayList<>();
    for (byte[] der : chain) {
      Optional<X509Certificate> parsed = CertificateChains.parse(der);
      if (parsed.isEmpty()) {
        return Optional.of("certificate " + certificates.size() + " of the chain does not parse");
      }
      certificates.add(parsed.get());
    }
    X509Certificate leaf = certificates.getFirst();
    try {
      String named = ClientIdentity.identify(leaf, domain).clientId();
      if (!named.equals(clientId)) {
        return Optional.of("the credential names " + named);
      }
    } catch (CredentialParseException e) {
      return Optional.of(e.getMessage());
    }
    if (!CertificateChains.certifies(leaf, keyPackage.leafNode().signatureKey())) {
      return Optional.of("the leaf's signature key is not the certificate's");
    }
    return chainProblem(certificates, roots.get(domain), domain);
  }

  /** PKIX of the chain up to one of the domain's AS roots, now. */
  private Optional<String> chainProblem(List<X509Certificate> chain, List<X509Certificate> anchors, String domain) {
    if (anchors.isEmpty()) {
      return Optional.of(domain + " published no AS root");
    }
    try {
      CertificateChains.verify(chain, anchors, clock.instant());
      return Optional.empty();
    } catch (CertPathValidatorException e) {
      return Optional.of("the chain does not verify up to " + domain + "'s AS root: " + e.getMessage());
    }
  }
}
