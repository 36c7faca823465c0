package org.homeserver.keypackage;

import com.google.protobuf.ByteString;
import java.io.ByteArrayInputStream;
import java.security.MessageDigest;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.homeserver.api.auth.v1.RegisteredClient;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.api.keypackage.v1.KeyPackageRule;
import org.homeserver.api.keypackage.v1.PublishKeyPackagesRequest;
import org.homeserver.mls.codec.MlsDecodeException;
import org.homeserver.mls.crypto.CipherSuite;
import org.homeserver.mls.crypto.SignatureScheme;
import org.homeserver.mls.message.Credential;
import org.homeserver.mls.message.Extension;
import org.homeserver.mls.message.KeyPackage;
import org.homeserver.mls.message.LeafNode;
import org.homeserver.mls.message.MlsMessage;
import org.homeserver.mls.message.WireFormat;
import org.homeserver.mls.validation.InvalidKeyPackageException;
import org.homeserver.mls.validation.KeyPackageValidator;
import org.homeserver.platform.errors.Fact;
import org.homeserver.platform.grpc.DeclaredRules;
import org.homeserver.platform.errors.Refusal;
import org.homeserver.platform.mls.KeyPackageRules;
import org.homeserver.platform.ids.CertificateChains;
import org.homeserver.platform.ids.ClientIdentity;
import org.homeserver.platform.ids.CredentialParseException;

/**
 * Decides whether a client may publish a batch of KeyPackages (keypackage.proto, KEYPACKAGES): each
 * one decodes, validates for a suite of the client's signature scheme, and carries an x509
 * credential of this domain naming the client with the key the client registered; at most one is
 * last-resort per suite. All are checked, so the error can name every failing one.
 */
public final class BatchAdmission {
  /** The most bytes of one published KeyPackage, as keypackage.proto declares. */
  public static final int MAX_KEY_PACKAGE_BYTES = Math.toIntExact(DeclaredRules.eachMaxBytes(
      PublishKeyPackagesRequest.getDescriptor(), PublishKeyPackagesRequest.KEY_PACKAGES_FIELD_NUMBER));

  /** What the checks found of one KeyPackage. */
  private sealed interface Verdict {}

  private record Admitted(PublishedKeyPackage keyPackage) implements Verdict {}

  private record Invalid(KeyPackageRule rule, String detail) implements Verdict {}

  private record Mismatch(String detail) implements Verdict {}

  private final Map<SignatureScheme, KeyPackageValidator> validators;
  private final String domain;

  /**
   * @param validators the validator for the clients of each signature scheme, which allows the
   *                   operator's suites of that scheme only
   */
  public BatchAdmission(Map<SignatureScheme, KeyPackageValidator> validators, String domain) {
    this.validators = Map.copyOf(validators);
    this.domain = domain;
  }

  /** One validator per signature scheme, allowing those of {@code allowed} that sign with it. */
  public static Map<SignatureScheme, KeyPackageValidator> validatorsFor(Set<CipherSuite> allowed,
      Function<Set<CipherSuite>, KeyPackageValidator> validator) {
    Map<SignatureScheme, KeyPackageValidator> validators = new EnumMap<>(SignatureScheme.class);
    allowed.stream().collect(Collectors.groupingBy(CipherSuite::signatureScheme, Collectors.toSet()))
        .forEach((scheme, suites) -> validators.put(scheme, validator.apply(suites)));
    return validators;
  }

  /**
   * The KeyPackages of {@code batch} as they are to be stored, in order; KEY_PACKAGE_INVALID or
   * KEY_PACKAGE_CREDENTIAL_MISMATCH (whichever the first failing KeyPackage broke) if any fails.
   */
  public List<PublishedKeyPackage> admit(RegisteredClient caller, List<ByteString> batch) {
    List<Verdict> verdicts = new ArrayList<>(batch.size());
    Set<Integer> lastResortSuites = new HashSet<>();
    for (ByteString bytes : batch) {
      Verdict verdict = check(caller, bytes);
      if (verdict instanceof Admitted(var kp) && kp.lastResort() && !lastResortSuites.add(kp.cipherSuite())) {
        verdict = new Invalid(KeyPackageRule.KEY_PACKAGE_RULE_DUPLICATE_LAST_RESORT,
            "a last-resort KeyPackage of cipher suite " + kp.cipherSuite() + " comes earlier in the batch");
      }
      verdicts.add(verdict);
    }
    refuseFailures(verdicts);
    return verdicts.stream().map(v -> ((Admitted) v).keyPackage()).toList();
  }

  private Verdict check(RegisteredClient caller, ByteString bytes) {
    if (bytes.size() > MAX_KEY_PACKAGE_BYTES) {
      return new Invalid(KeyPackageRule.KEY_PACKAGE_RULE_TOO_LARGE,
          bytes.size() + " bytes, more than " + MAX_KEY_PACKAGE_BYTES);
    }
    KeyPackage keyPackage;
    try {
      MlsMessage message = MlsMessage.decode(bytes.toByteArray());
      if (!(message.body() instanceof MlsMessage.KeyPackageBody(var decoded))) {
        return new Invalid(KeyPackageRule.KEY_PACKAGE_RULE_MALFORMED, "the MLSMessage has wire_format "
            + message.wireFormat().rfcName() + " (" + message.wireFormat().code() + "); a KeyPackage is sent as "
            + "wire_format " + WireFormat.KEY_PACKAGE.rfcName() + " (" + WireFormat.KEY_PACKAGE.code() + ")");
      }
      keyPackage = decoded;
    } catch (MlsDecodeException e) {
      return new Invalid(KeyPackageRule.KEY_PACKAGE_RULE_MALFORMED, e.getMessage());
    }
    KeyPackageValidator validator = SignatureScheme.fromCode(caller.getSignatureSchemeValue())
        .map(validators::get).orElse(null);
    if (validator == null) {
      return new Invalid(KeyPackageRule.KEY_PACKAGE_RULE_CIPHER_SUITE_NOT_ALLOWED,
          "no allowed cipher suite signs with the client's signature scheme");
    }
    CipherSuite suite;
    try {
      suite = validator.validate(keyPackage);
    } catch (InvalidKeyPackageException e) {
      return new Invalid(KeyPackageRules.of(e.rule()), e.detail());
    }
    return credentialProblem(caller, keyPackage.leafNode()).orElseGet(() ->
        new Admitted(new PublishedKeyPackage(suite.code(), isLastResort(keyPackage), bytes.toByteArray())));
  }

  /** Whether the leaf's credential is the caller's AS credential for its registered key. */
  private Optional<Verdict> credentialProblem(RegisteredClient caller, LeafNode leaf) {
    if (!(leaf.credential() instanceof Credential.X509(var chain)) || chain.isEmpty()) {
      return Optional.of(new Invalid(KeyPackageRule.KEY_PACKAGE_RULE_CREDENTIAL_INVALID,
          "the credential is not an x509 credential"));
    }
    X509Certificate certificate;
    ClientIdentity named;
    try {
      certificate = (X509Certificate) CertificateFactory.getInstance("X.509")
          .generateCertificate(new ByteArrayInputStream(chain.getFirst()));
      named = ClientIdentity.identify(certificate, domain);
    } catch (CertificateException | ClassCastException e) {
      return Optional.of(new Invalid(KeyPackageRule.KEY_PACKAGE_RULE_CREDENTIAL_INVALID,
          "the credential's first certificate does not parse"));
    } catch (CredentialParseException e) {
      return Optional.of(new Invalid(KeyPackageRule.KEY_PACKAGE_RULE_CREDENTIAL_INVALID, e.getMessage()));
    }
    byte[] registered = caller.getSignaturePublicKey().toByteArray();
    if (!named.clientId().equals(caller.getClientId())) {
      return Optional.of(new Mismatch("the credential names another client"));
    }
    if (!MessageDigest.isEqual(registered, leaf.signatureKey()) || !CertificateChains.certifies(certificate, registered)) {
      return Optional.of(new Mismatch("the signature key is not the one the client registered"));
    }
    return Optional.empty();
  }

  private static boolean isLastResort(KeyPackage keyPackage) {
    return keyPackage.extensions().stream().anyMatch(e -> e.type() == Extension.LAST_RESORT);
  }

  /** Throws the error of the first failing KeyPackage, if one fails; a BadRequest names every invalid one. */
  private static void refuseFailures(List<Verdict> verdicts) {
    for (int i = 0; i < verdicts.size(); i++) {
      switch (verdicts.get(i)) {
        case Admitted admitted -> { }
        case Mismatch(var detail) -> throw Refusal.of(ErrorReason.KEY_PACKAGE_CREDENTIAL_MISMATCH,
            "KeyPackage " + i + " is not the calling client's: " + detail).with(Fact.INDEX, i);
        case Invalid(var rule, var detail) -> throw Refusal.of(ErrorReason.KEY_PACKAGE_INVALID,
            "KeyPackage " + i + " is invalid: " + detail)
            .with(Fact.INDEX, i).with(Fact.RULE, rule.name()).with(Fact.DETAIL, detail)
            .withViolations(violations(verdicts));
      }
    }
  }

  private static List<Refusal.FieldViolation> violations(List<Verdict> verdicts) {
    List<Refusal.FieldViolation> violations = new ArrayList<>();
    for (int i = 0; i < verdicts.size(); i++) {
      if (verdicts.get(i) instanceof Invalid(var rule, var detail)) {
        violations.add(new Refusal.FieldViolation("key_packages[" + i + "]", rule.name() + ": " + detail));
      }
    }
    return violations;
  }
}
