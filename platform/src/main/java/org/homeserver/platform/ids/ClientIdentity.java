package org.homeserver.platform.ids;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which client a credential speaks for: its user's domain and handle and the client's UUID, with the
 * canonical {@code mimi://} ids of common.proto.
 */
public record ClientIdentity(String domain, String handle, UUID clientUuid) {
  private static final Pattern CLIENT_ID = Pattern.compile("mimi://([^/]+)/c/([^/]+)/([^/]+)");
  private static final int SAN_URI = 6;

  public ClientIdentity {
    if (!UserId.isDomain(domain)) {
      throw new IllegalArgumentException("not a lower-case DNS domain: " + domain);
    }
    if (!UserId.isHandle(handle)) {
      throw new IllegalArgumentException("not a handle (3 to 32 of a-z 0-9 . _ -, first a letter or digit): " + handle);
    }
    if (clientUuid == null) {
      throw new IllegalArgumentException("no client uuid");
    }
  }

  /** {@code mimi://<domain>/u/<handle>}. */
  public String userId() {
    return new UserId(domain, handle).toString();
  }

  /** {@code mimi://<domain>/c/<handle>/<client-uuid>}. */
  public String clientId() {
    return "mimi://" + domain + "/c/" + handle + "/" + clientUuid;
  }

  /** The identity a client id names, if it is a client id in canonical form (lower-case uuid included). */
  public static Optional<ClientIdentity> parseClientId(String clientId) {
    Matcher m = clientId == null ? null : CLIENT_ID.matcher(clientId);
    if (m == null || !m.matches() || !UserId.isDomain(m.group(1)) || !UserId.isHandle(m.group(2))) {
      return Optional.empty();
    }
    try {
      UUID uuid = UUID.fromString(m.group(3));
      // UUID.fromString also takes upper case and short groups; an id has exactly one spelling.
      return uuid.toString().equals(m.group(3))
          ? Optional.of(new ClientIdentity(m.group(1), m.group(2), uuid))
          : Optional.empty();
    } catch (IllegalArgumentException notUuid) {
      return Optional.empty();
    }
  }

  /**
   * The client a certificate of {@code expectedDomain} names: its SubjectAlternativeName URIs must be
   * exactly a client id of that domain and the user id of that client.
   */
  public static ClientIdentity identify(X509Certificate certificate, String expectedDomain)
      throws CredentialParseException {
    ClientIdentity identity = identify(certificate);
    if (!identity.domain().equals(expectedDomain)) {
      throw new CredentialParseException("the certificate names a client of " + identity.domain() + ", not of "
          + expectedDomain);
    }
    return identity;
  }

  /**
   * The client a certificate names, of whichever domain: its SubjectAlternativeName URIs must be
   * exactly a client id and the user id of that client.
   */
  public static ClientIdentity identify(X509Certificate certificate) throws CredentialParseException {
    List<String> uris = subjectAlternativeUris(certificate);
    List<ClientIdentity> named = uris.stream().flatMap(uri -> parseClientId(uri).stream()).toList();
    if (named.size() != 1) {
      throw new CredentialParseException("the certificate names " + named.size() + " client ids, not one: " + uris);
    }
    ClientIdentity identity = named.getFirst();
    if (uris.size() != 2 || !uris.contains(identity.userId())) {
      throw new CredentialParseException("the certificate's URIs must be the client id and its user id "
          + identity.userId() + ", not " + uris);
    }
    return identity;
  }

  private static List<String> subjectAlternativeUris(X509Certificate certificate) throws CredentialParseException {
    Collection<List<?>> names;
    try {
      names = certificate.getSubjectAlternativeNames();
    } catch (CertificateParsingException e) {
      throw new CredentialParseException("the certificate's SubjectAlternativeName cannot be read", e);
    }
    if (names == null) {
      throw new CredentialParseException("the certificate has no SubjectAlternativeName");
    }
    return names.stream()
        .filter(name -> name.get(0) instanceof Integer type && type == SAN_URI)
        .map(name -> String.valueOf(name.get(1)))
        .toList();
  }
}
