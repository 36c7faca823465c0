package org.homeserver.auth;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.auth.AuthStore.User;
import org.homeserver.auth.AuthStore.Revocation;
import org.homeserver.platform.ratelimit.RateLimiter;
import org.homeserver.platform.ratelimit.RateLimits;
import org.homeserver.platform.auth.Principal;
import org.homeserver.platform.errors.Fact;
import org.homeserver.platform.errors.Refusal;
import org.homeserver.platform.ids.UserId;

/** The rules for users: registration under the operator's policy, passwords, suspension, deletion. */
public final class Users {
  /** The window in which wrong passwords are counted per user (auth.password-failures-per-hour). */
  static final Duration FAILURE_WINDOW = Duration.ofHours(1);

  private final AuthStore store;
  private final PasswordHasher hasher;
  private final RegistrationMode registration;
  private final TokenRevocations revocations;
  private final RateLimiter passwordAttempts;
  private final RateLimiter passwordFailures;
  private final Duration handleHold;
  private final String domain;
  private final Clock clock;
  /** Verified against when the handle is unknown, so a wrong handle costs as much as a wrong password. */
  private final String decoyHash;

  Users(AuthStore store, PasswordHasher hasher, RegistrationMode registration, TokenRevocations revocations,
        RateLimiter passwordAttempts, RateLimiter passwordFailures, Duration handleHold, String domain, Clock clock) {
    this.store = store;
    this.hasher = hasher;
    this.registration = registration;
    this.revocations = revocations;
    this.passwordAttempts = passwordAttempts;
    this.passwordFailures = passwordFailures;
    this.handleHold = handleHold;
    this.domain = domain;
    this.clock = clock;
    this.decoyHash = hasher.hash("decoy password that no user has");
  }

  public RegistrationMode registration() {
    return registration;
  }

  public String domain() {
    return domain;
  }

  public UserId idOf(User user) {
    return new UserId(domain, user.handle());
  }

  /** Creates a user; with the invite policy, consumes the invite in the same transaction. */
  public User register(String handle, String password, String inviteToken) {
    if (registration == RegistrationMode.CLOSED) {
      throw Refusal.of(ErrorReason.REGISTRATION_CLOSED, "this homeserver does not accept registrations");
    }
    if (registration == RegistrationMode.INVITE && inviteToken.isEmpty()) {
      throw Refusal.of(ErrorReason.INVITE_INVALID, "registration on this homeserver needs an invite token");
    }
    User user = new User(UUID.randomUUID(), handle, hasher.hash(password), false, clock.instant());
    Instant now = clock.instant();
    return store.inTransaction(h -> {
      if (registration == RegistrationMode.INVITE && !store.consumeInvite(h, inviteToken, user.uuid(), now)) {
        throw Refusal.of(ErrorReason.INVITE_INVALID, "the invite token is unknown, used or expired");
      }
      if (!store.insertUser(h, user)) {
        // Throwing rolls the transaction back, so the invite stays unused.
        throw Refusal.of(ErrorReason.HANDLE_TAKEN, "the handle " + handle + " is taken or held back");
      }
      return user;
    });
  }

  /**
   * Who asks to check a password: the address the request came from, and the client it is signed
   * in as, if it presented a valid token.
   */
  public record Caller(String address, Optional<SignedIn> signedIn) {
    /** The caller of a gRPC call, signed in if it presented a valid access token. */
    public static Caller of(String address, Optional<Principal> principal) {
      return new Caller(address, principal.map(p -> new SignedIn(p.userUuid(), p.clientUuid())));
    }
  }

  /** A client a caller is signed in as, and its user. */
  public record SignedIn(UUID user, UUID client) {}

  /**
   * The user whose handle and password these are; the same error for either being wrong. The
   * limits cannot be turned against the owner: attempts are counted per user and caller (the
   * caller's client when it is signed in as one of the user's clients, else its address), so a
   * guesser spends only its own budget; wrong passwords are also counted per user over every
   * caller, and beyond that limit only the user's own signed-in clients may still try (one of them
   * getting it right clears the count).
   */
  public User authenticate(String handle, String password, Caller caller) {
    Optional<User> user = UserId.isHandle(handle) ? store.userByHandle(handle) : Optional.empty();
    Optional<SignedIn> own = caller.signedIn().filter(c -> user.isPresent() && c.user().equals(user.get().uuid()));
    String who = own.map(c -> "client:" + c.client()).orElse("address:" + caller.address());
    RateLimits.check(passwordAttempts, handle + "/" + who, "too many password attempts for this user from here");
    if (own.isEmpty() && passwordFailures.spent(handle)) {
      throw Refusal.rateLimited(FAILURE_WINDOW, "too many wrong passwords for this user lately; its password can "
          + "now be checked only when signed in as one of its clients (send that client's access token)")
          .with(Fact.SCOPE, "user");
    }
    boolean ok = hasher.verify(password, user.map(User::passwordHash).orElse(decoyHash)) && user.isPresent();
    if (!ok) {
      if (own.isEmpty()) {
        passwordFailures.tryAcquire(handle);
      }
      throw Refusal.of(ErrorReason.WRONG_CREDENTIALS, "wrong handle or password");
    }
    if (own.isPresent()) {
      passwordFailures.clear(handle);
    }
    if (hasher.needsRehash(user.get().passwordHash())) {
      // Only if no password change came in between.
      store.replacePasswordHash(user.get().uuid(), user.get().passwordHash(), hasher.hash(password));
    }
    return user.get();
  }

  /** Like {@link #authenticate} but also refuses a suspended user. */
  public User authenticateActive(String handle, String password, Caller caller) {
    User user = authenticate(handle, password, caller);
    requireActive(user);
    return user;
  }

  public void changePassword(UUID userUuid, String current, String next, Caller caller) {
    User user = require(userUuid);
    requireActive(user);
    authenticate(user.handle(), current, caller);
    if (!store.replacePasswordHash(userUuid, user.passwordHash(), hasher.hash(next))) {
      throw Refusal.of(ErrorReason.WRONG_CREDENTIALS, "the password changed meanwhile; try again");
    }
  }

  public User require(UUID userUuid) {
    return store.user(userUuid).orElseThrow(() -> notFound(userUuid.toString()));
  }

  public static void requireActive(User user) {
    if (user.suspended()) {
      throw suspended();
    }
  }

  static Refusal suspended() {
    return Refusal.of(ErrorReason.USER_SUSPENDED, "the user is suspended by the operator");
  }

  /** Finds a user by id ({@code mimi://...}), qualified handle, handle or UUID. */
  /** User ids of users not suspended whose handle starts with {@code prefix}, in handle order, at most {@code limit}. */
  public List<String> activeWithPrefix(String prefix, int limit) {
    return store.activeHandlesStartingWith(prefix, Math.max(0, limit)).stream()
        .map(handle -> new UserId(domain, handle).toString()).toList();
  }

  public User find(String reference) {
    Optional<User> user = UserId.parse(reference)
        .filter(id -> id.domain().equals(domain))
        .flatMap(id -> store.userByHandle(id.handle()));
    if (user.isEmpty() && UserId.isHandle(reference)) {
      user = store.userByHandle(reference);
    }
    if (user.isEmpty()) {
      try {
        user = store.user(UUID.fromString(reference));
      } catch (IllegalArgumentException notUuid) {
        // Not a UUID either.
      }
    }
    return user.orElseThrow(() -> notFound(reference));
  }

  /** Suspends or reinstates; suspension revokes every token of the user at once. */
  public User setSuspended(User user, boolean suspended) {
    Revocation revocation = revocations.of(user.uuid());
    User changed = store.inTransaction(h -> {
      User now = store.setSuspended(h, user.uuid(), suspended).orElseThrow(() -> notFound(user.handle()));
      if (suspended) {
        revocations.record(h, revocation);
      }
      return now;
    });
    if (suspended) {
      revocations.announce(revocation);
    }
    return changed;
  }

  /**
   * Deletes the user with its clients; every token of the user stops working at once and the
   * handle is held back from registration for the configured time.
   */
  public void delete(User user) {
    Revocation revocation = revocations.of(user.uuid());
    Instant now = clock.instant();
    store.inTransaction(h -> {
      if (!store.deleteUser(h, user, now, now.plus(handleHold))) {
        throw notFound(user.handle());
      }
      revocations.record(h, revocation);
      return null;
    });
    revocations.announce(revocation);
  }

  private static Refusal notFound(String reference) {
    return Refusal.of(ErrorReason.USER_NOT_FOUND, "no user " + reference);
  }
}
