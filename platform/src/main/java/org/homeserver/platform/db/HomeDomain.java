package org.homeserver.platform.db;

import java.time.Clock;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;

/**
 * The home domain, fixed once in the database (schema {@code server}) at init or first start. A later
 * start with another domain is refused, because every stored id and credential names the domain.
 */
public final class HomeDomain {
  private final Jdbi jdbi;
  private final Clock clock;

  public HomeDomain(Jdbi jdbi, Clock clock) {
    this.jdbi = jdbi;
    this.clock = clock;
  }

  /** The fixed domain, if there is one. */
  public Optional<String> stored() {
    return jdbi.withHandle(h -> h.createQuery("select domain from identity").mapTo(String.class).findOne());
  }

  /**
   * Fixes {@code configured} as the domain if none is stored yet, and returns the domain in force.
   *
   * @throws DomainMismatchException if another domain is stored, or none is stored and none configured
   */
  public String settle(Optional<String> configured) throws DomainMismatchException {
    Optional<String> stored = stored();
    if (stored.isEmpty() && configured.isPresent()) {
      jdbi.useHandle(h -> h.createUpdate(
              "insert into identity (singleton, domain, fixed_at) values (true, :d, :t) on conflict do nothing")
          .bind("d", configured.get())
          .bind("t", clock.instant())
          .execute());
      stored = stored();
    }
    if (stored.isEmpty()) {
      throw new DomainMismatchException("no home domain is set: run `homeserver init --domain example.org` "
          + "or set `domain` in the configuration (HOMESERVER_DOMAIN)");
    }
    if (configured.isPresent() && !configured.get().equals(stored.get())) {
      throw new DomainMismatchException("this homeserver's home domain is " + stored.get()
          + " but the configuration says " + configured.get()
          + "; the home domain is fixed at setup and cannot change (every user id and credential names it)");
    }
    return stored.get();
  }

  /** The domain could not be settled; the message says why in one line. */
  public static final class DomainMismatchException extends Exception {
    public DomainMismatchException(String message) {
      super(message);
    }
  }
}
