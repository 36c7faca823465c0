package org.homeserver.delivery;

import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import org.homeserver.api.auth.v1.RegisteredClient;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.api.keypackage.v1.KeyPackageRule;
import org.homeserver.mls.crypto.CipherSuite;
import org.homeserver.mls.message.KeyPackage;
import org.homeserver.mls.validation.InvalidKeyPackageException;
import org.homeserver.mls.validation.KeyPackageValidator;
import org.homeserver.platform.errors.Fact;
import org.homeserver.platform.errors.Refusal;
import org.homeserver.platform.ids.ClientIdentity;
import org.homeserver.platform.ids.UserId;
import org.homeserver.platform.mls.KeyPackageRules;

/**
 * Who a KeyPackage in an Add brings into a group, and whether it may: the KeyPackage validates for
 * the group's cipher suite, its leaf passes the AS's checks ({@link LeafCredentials}: signed by the
 * AS of its client's domain, naming that client, with its signature key), and a client of another
 * domain is of one this homeserver federates with.
 */
public final class AddedClients {
  /** What users are to each other (the directory's internal API). */
  public interface Relationships {
    /**
     * Of {@code others}, those {@code user} may add to groups: itself, users it is connected with,
     * and the targets of its pending connection requests.
     */
    Set<String> mayAdd(String user, Collection<String> others);

    /** Of {@code others}, those {@code user} is connected with. */
    Set<String> connected(String user, Collection<String> others);
  }

  private final KeyPackageValidator validator;
  private final LeafCredentials credentials;
  private final Relationships relationships;
  private final String domain;
  private final Predicate<String> federatesWith;

  /** @param federatesWith whether the federation policy allows a domain now */
  AddedClients(KeyPackageValidator validator, LeafCredentials credentials, Relationships relationships, String domain,
      Predicate<String> federatesWith) {
    this.validator = validator;
    this.credentials = credentials;
    this.relationships = relationships;
    this.domain = domain;
    this.federatesWith = federatesWith;
  }

  /**
   * The client id each KeyPackage names, after checking all of them; KEY_PACKAGE_INVALID (metadata
   * {@code client_id} when known, {@code rule}, {@code detail}) or ADD_NOT_ALLOWED for the first
   * that fails, or ADD_NOT_ALLOWED for a client whose user {@code committerUser} may not add.
   * Keyed by identity: the decoded KeyPackages the caller will look up again. ADD_DOMAIN_FORBIDDEN
   * for a client of a domain the federation policy forbids, before anything is asked of it.
   *
   * <p>A committer of another domain (its commit relayed by its homeserver) was checked there
   * against its own relationships; here only the users of this domain it adds are.
   */
  public Map<KeyPackage, String> admit(Iterable<KeyPackage> keyPackages, int groupSuite, String committerUser) {
    for (KeyPackage keyPackage : keyPackages) {
      clientIdOf(keyPackage).flatMap(ClientIdentity::parseClientId).map(ClientIdentity::domain)
          .filter(d -> !d.equals(domain) && !federatesWith.test(d))
          .ifPresent(d -> {
            throw Refusal.of(ErrorReason.ADD_DOMAIN_FORBIDDEN, "this homeserver's federation policy forbids " + d
                + ", whose clients cannot be added").with(Fact.DOMAIN, d);
          });
    }
    Map<KeyPackage, String> admitted = new IdentityHashMap<>();
    for (KeyPackage keyPackage : keyPackages) {
      admitted.put(keyPackage, admit(keyPackage, groupSuite));
    }
    boolean committerLocal = UserId.parse(committerUser).map(u -> u.domain().equals(domain)).orElse(true);
    Map<String, String> userOfClient = new LinkedHashMap<>();
    for (String clientId : admitted.values()) {
      ClientIdentity client = ClientIdentity.parseClientId(clientId).orElseThrow();
      if (committerLocal || client.domain().equals(domain)) {
        userOfClient.put(clientId, client.userId());
      }
    }
    Set<String> allowed = userOfClient.isEmpty() ? Set.of()
        : relationships.mayAdd(committerUser, Set.copyOf(userOfClient.values()));
    for (var client : userOfClient.entrySet()) {
      if (!allowed.contains(client.getValue())) {
        throw Refusal.of(ErrorReason.ADD_NOT_ALLOWED, "you may add only your own clients and clients of users"
            + " you are connected with or asked for a connection").with(Fact.CLIENT_ID, client.getKey());
      }
    }
    return admitted;
  }

  private String admit(KeyPackage keyPackage, int groupSuite) {
    Optional<String> named = clientIdOf(keyPackage);
    try {
      CipherSuite suite = validator.validate(keyPackage);
      if (suite.code() != groupSuite) {
        throw invalid(named, KeyPackageRule.KEY_PACKAGE_RULE_CIPHER_SUITE_NOT_ALLOWED,
            "the KeyPackage is for cipher suite " + suite.code() + ", the group uses " + groupSuite);
      }
    } catch (InvalidKeyPackageException e) {
      throw invalid(named, KeyPackageRules.of(e.rule()), e.detail());
    }
    RegisteredClient client;
    try {
      client = credentials.check(keyPackage.leafNode().credential(), keyPackage.leafNode().signatureKey());
    } catch (LeafCredentials.CredentialException e) {
      throw invalid(named, KeyPackageRule.KEY_PACKAGE_RULE_CREDENTIAL_INVALID, e.getMessage());
    }
    if (client.getSuspended()) {
      throw Refusal.of(ErrorReason.ADD_NOT_ALLOWED, "the client's user is suspended")
          .with(Fact.CLIENT_ID, client.getClientId());
    }
    return client.getClientId();
  }

  /** Of {@code others}, the users {@code user} is connected with. */
  public Set<String> connectedWith(String user, Collection<String> others) {
    return relationships.connected(user, others);
  }

  /**
   * The client a KeyPackage's credential names, read from its leaf certificate without other checks;
   * for KeyPackages already admitted (proposals accepted earlier in the epoch).
   */
  public Optional<String> clientIdOf(KeyPackage keyPackage) {
    return credentials.clientOf(keyPackage.leafNode());
  }

  private static Refusal invalid(Optional<String> clientId, KeyPackageRule rule, String detail) {
    Refusal invalid = Refusal.of(ErrorReason.KEY_PACKAGE_INVALID, "an added KeyPackage is invalid: " + detail)
        .with(Fact.RULE, rule.name()).with(Fact.DETAIL, detail);
    return clientId.map(id -> invalid.with(Fact.CLIENT_ID, id)).orElse(invalid);
  }
}
