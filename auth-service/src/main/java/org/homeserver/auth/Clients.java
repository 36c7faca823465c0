package org.homeserver.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.api.common.v1.SignatureScheme;
import org.homeserver.auth.AuthStore.Client;
import org.homeserver.auth.AuthStore.User;
import org.homeserver.auth.AuthStore.Revocation;
import org.homeserver.platform.errors.Refusal;
import org.homeserver.platform.ids.ClientIdentity;

/**
 * The rules for clients: registration with proof of possession of the signature key, the X.509
 * credential the AS issues for it, listing, renewal and deletion.
 */
public final class Clients {
  /** How long a retry with the same idempotency key gets the first answer (common.proto). */
  static final Duration IDEMPOTENCY_WINDOW = Duration.ofHours(24);

  private final AuthStore store;
  private final Users users;
  private final CertificateAuthority authority;
  private final TokenRevocations revocations;
  private final Duration credentialValidity;
  private final int maxClientsPerUser;
  private final Clock clock;

  Clients(AuthStore store, Users users, CertificateAuthority authority, TokenRevocations revocations,
                 Duration credentialValidity, int maxClientsPerUser, Clock clock) {
    this.store = store;
    this.users = users;
    this.authority = authority;
    this.revocations = revocations;
    this.credentialValidity = credentialValidity;
    this.maxClientsPerUser = maxClientsPerUser;
    this.clock = clock;
  }

  /** A client and the certificate chain of its credential (client first, then the AS intermediate). */
  public record Registered(Client client, ClientIdentity identity, List<byte[]> chain) {}

  /** What a client asks to register. */
  public record Registration(String handle, String password, SignatureScheme scheme, byte[] publicKey,
                             byte[] proofOfPossession, String idempotencyKey, String label) {}

  public Registered register(Registration r, Users.Caller caller) {
    SignatureKey key;
    try {
      key = SignatureKey.of(r.scheme(), r.publicKey());
    } catch (InvalidSignatureKeyException e) {
      throw Refusal.of(ErrorReason.SIGNATURE_KEY_INVALID, e.getMessage());
    }
    User user = users.authenticateActive(r.handle(), r.password(), caller);
    String userId = users.idOf(user).toString();
    byte[] content = SignContent.registration(userId, key.publicKey());
    if (!key.verifyWithLabel(SignContent.REGISTRATION_LABEL, content, r.proofOfPossession())) {
      throw Refusal.of(ErrorReason.PROOF_OF_POSSESSION_INVALID,
          "proof_of_possession is not a SignWithLabel(\"" + SignContent.REGISTRATION_LABEL
              + "\", opaque(user_id) || opaque(signature_public_key)) by this key");
    }
    byte[] digest = digest(r, key);
    Instant now = clock.instant();
    Client client = store.inTransaction(h -> {
      // Suspension or deletion may have happened since the password was checked.
      Users.requireActive(store.lockUser(h, user.uuid())
          .orElseThrow(() -> Refusal.of(ErrorReason.WRONG_CREDENTIALS, "wrong handle or password")));
      int count = store.clientCount(h, user.uuid());
      if (!r.idempotencyKey().isEmpty()) {
        Optional<Client> earlier = store.clientByIdempotencyKey(h, user.uuid(), r.idempotencyKey(),
            now.minus(IDEMPOTENCY_WINDOW));
        if (earlier.isPresent()) {
          if (!MessageDigest.isEqual(earlier.get().requestDigest().orElse(new byte[0]), digest)) {
            throw Refusal.of(ErrorReason.IDEMPOTENCY_KEY_REUSED,
                "this idempotency key was used for a different client registration");
          }
          return earlier.get();
        }
      }
      if (count >= maxClientsPerUser) {
        throw Refusal.limitReached(ErrorReason.TOO_MANY_CLIENTS, maxClientsPerUser,
            "the user already has " + count + " clients");
      }
      UUID uuid = UUID.randomUUID();
      IssuedCredential issued = issue(new ClientIdentity(users.domain(), user.handle(), uuid), key, now);
      Client fresh = new Client(uuid, user.uuid(), user.handle(), false, r.scheme().getNumber(), key.publicKey(),
          r.label(), issued.chain().getFirst(), issued.notAfter(), now, Optional.empty(),
          r.idempotencyKey().isEmpty() ? Optional.empty() : Optional.of(r.idempotencyKey()), Optional.of(digest));
      store.insertClient(h, fresh);
      return fresh;
    });
    return registered(client);
  }

  /** The client with this uuid; CLIENT_NOT_FOUND if there is none. */
  public Client require(UUID client) {
    return store.client(client).orElseThrow(() -> notFound());
  }

  /** The client a client id names, if it is one of this domain's. */
  public Client require(String clientId) {
    return ClientIdentity.parseClientId(clientId)
        .filter(id -> id.domain().equals(users.domain()))
        .flatMap(id -> store.client(id.clientUuid()).filter(c -> c.handle().equals(id.handle())))
        .orElseThrow(Clients::notFound);
  }

  public List<Client> of(UUID user) {
    return store.clientsOf(user);
  }

  /** Deletes one of {@code user}'s clients; its tokens stop working at once. */
  public void delete(UUID user, String clientId) {
    Client client = require(clientId);
    Revocation revocation = revocations.of(client.uuid());
    store.inTransaction(h -> {
      if (!client.userUuid().equals(user) || !store.deleteClient(h, user, client.uuid())) {
        throw notFound();
      }
      revocations.record(h, revocation);
      return null;
    });
    revocations.announce(revocation);
  }

  /** Issues a fresh credential for the client's registered key. */
  public Registered renew(UUID clientUuid) {
    Client client = require(clientUuid);
    if (client.userSuspended()) {
      throw Users.suspended();
    }
    IssuedCredential issued = issue(identity(client), key(client), clock.instant());
    store.updateCredential(client.uuid(), issued.chain().getFirst(), issued.notAfter());
    return registered(require(clientUuid));
  }

  /** The client's registered signature key. */
  static SignatureKey key(Client client) {
    try {
      return SignatureKey.of(SignatureScheme.forNumber(client.signatureScheme()), client.signatureKey());
    } catch (InvalidSignatureKeyException e) {
      throw new IllegalStateException("a stored key no longer parses", e);
    }
  }

  public ClientIdentity identity(Client client) {
    return new ClientIdentity(users.domain(), client.handle(), client.uuid());
  }

  private Registered registered(Client client) {
    return new Registered(client, identity(client), List.of(client.credential(), authority.intermediateCertificate()));
  }

  private IssuedCredential issue(ClientIdentity identity, SignatureKey key, Instant now) {
    // Back-dated a little so a client whose clock runs slightly behind accepts it.
    return authority.issueClientCertificate(identity, key, now.minus(Duration.ofMinutes(5)), now.plus(credentialValidity));
  }

  private static byte[] digest(Registration r, SignatureKey key) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(SignContent.opaque(Integer.toString(r.scheme().getNumber()).getBytes(StandardCharsets.US_ASCII),
          key.publicKey(), r.label().getBytes(StandardCharsets.UTF_8)));
      return sha.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static Refusal notFound() {
    return Refusal.of(ErrorReason.CLIENT_NOT_FOUND, "no such client");
  }
}
