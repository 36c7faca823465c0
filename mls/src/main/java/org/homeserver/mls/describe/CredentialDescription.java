package org.homeserver.mls.describe;

import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import javax.security.auth.x500.X500Principal;
import org.homeserver.mls.message.Credential;

/** A credential as a client developer wants to see it: the identity as text, the certificates' names. */
final class CredentialDescription {
  /** The GeneralName tag of a uniformResourceIdentifier (RFC 5280 section 4.2.1.6). */
  private static final int SAN_URI = 6;

  private CredentialDescription() {}

  static Map<String, Object> of(Credential credential) {
    Fields fields = new Fields().with("type", Names.credentialType(credential.type()));
    return switch (credential) {
      case Credential.Basic basic -> printable(basic.identity())
          .map(text -> fields.with("identity", text))
          .orElseGet(() -> fields.with("identity_hex", Scalars.hex(basic.identity())));
      case Credential.X509 x509 -> fields.with("certificates",
          x509.certificates().stream().map(CredentialDescription::certificate).toList());
      case Credential.Unknown unknown -> fields.with("data_length", unknown.body().length);
    };
  }

  /** {@code bytes} as text if they are well-formed UTF-8 without control or unassigned characters. */
  static Optional<String> printable(byte[] bytes) {
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      return Optional.empty();
    }
    boolean printable = text.codePoints().allMatch(c -> !Character.isISOControl(c)
        && switch (Character.getType(c)) {
          case Character.UNASSIGNED, Character.PRIVATE_USE, Character.SURROGATE, Character.FORMAT -> false;
          default -> true;
        });
    return printable ? Optional.of(text) : Optional.empty();
  }

  private static Map<String, Object> certificate(byte[] der) {
    try {
      X509Certificate certificate = (X509Certificate) CertificateFactory.getInstance("X.509")
          .generateCertificate(new ByteArrayInputStream(der));
      return new Fields()
          .with("subject", certificate.getSubjectX500Principal().getName(X500Principal.RFC2253))
          .with("issuer", certificate.getIssuerX500Principal().getName(X500Principal.RFC2253))
          .with("not_after", certificate.getNotAfter().toInstant().toString())
          .with("san_uris", sanUris(certificate));
    } catch (CertificateException e) {
      // The codec carries certificates as opaque bytes: one that does not parse is news, not a failure.
      return new Fields().with("der_length", der.length).with("parse_error", String.valueOf(e.getMessage()));
    }
  }

  private static List<String> sanUris(X509Certificate certificate) throws CertificateException {
    Collection<List<?>> names = certificate.getSubjectAlternativeNames();
    if (names == null) {
      return List.of();
    }
    return names.stream()
        .filter(name -> Objects.equals(name.get(0), SAN_URI))
        .map(name -> String.valueOf(name.get(1)))
        .toList();
  }
}
