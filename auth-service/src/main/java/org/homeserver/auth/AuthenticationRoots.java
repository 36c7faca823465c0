package org.homeserver.auth;

import org.homeserver.api.auth.v1.GetAuthenticationRootsResponse;
import org.homeserver.platform.errors.Refusal;
import org.homeserver.platform.ids.UserId;

/**
 * The AS roots of a domain (auth.proto GetAuthenticationRoots): this homeserver's own from its
 * authority, another domain's as its homeserver gives them (its failure passed through unchanged).
 */
final class AuthenticationRoots {
  /** Another domain's roots (the federation gateway's internal API in production). */
  interface Remote {
    GetAuthenticationRootsResponse of(String domain);
  }

  private final CertificateAuthority authority;
  private final String domain;
  private final Remote remote;

  AuthenticationRoots(CertificateAuthority authority, String domain, Remote remote) {
    this.authority = authority;
    this.domain = domain;
    this.remote = remote;
  }

  /** The roots of {@code asked}: this domain's when it is empty or this domain. */
  GetAuthenticationRootsResponse of(String asked) {
    if (asked.isEmpty() || asked.equals(domain)) {
      return authority.roots(domain);
    }
    if (!UserId.isDomain(asked)) {
      throw Refusal.invalidField("domain", "not a lower-case DNS domain, e.g. other.example");
    }
    return remote.of(asked);
  }
}
