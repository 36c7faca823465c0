package org.homeserver.federation.policy;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Collection;
import java.util.Locale;
import java.util.Optional;
import java.util.TreeSet;
import org.homeserver.federation.FederationSettings.Mode;
import org.homeserver.platform.db.Transactions;
import org.jdbi.v3.core.Handle;

/** Persistence of the federation policy: one row with its mode and version, and its list of domains. */
public final class PolicyStore {
  private final Transactions db;

  public PolicyStore(Transactions db) {
    this.db = db;
  }

  /** The stored policy, after writing {@code initial} if none is stored yet. */
  public Policy loadOrCreate(Mode mode, Collection<String> domains, Instant now) {
    return db.inTransaction(h -> {
      h.execute("lock table policy in exclusive mode");
      return read(h).orElseGet(() -> write(h, mode, domains, 1, now));
    });
  }

  /** The version stored now, to tell whether a copy is current. */
  public long version() {
    return db.withHandle(h -> h.createQuery("select version from policy").mapTo(Long.class).findOne().orElse(0L));
  }

  public Policy load() {
    return db.withHandle(h -> read(h).orElseThrow(() -> new IllegalStateException("no federation policy stored")));
  }

  /** Replaces the policy; returns the new one with the next version. */
  public Policy replace(Mode mode, Collection<String> domains, Instant now) {
    return db.inTransaction(h -> {
      long version = h.createQuery("select version from policy for update").mapTo(Long.class).one();
      return write(h, mode, domains, version + 1, now);
    });
  }

  /** Lets {@code domain} federate ({@code allow}) or stops it, whatever the mode. */
  public Policy change(String domain, boolean allow, Instant now) {
    return db.inTransaction(h -> {
      h.createQuery("select version from policy for update").mapTo(Long.class).one();
      Policy current = read(h).orElseThrow();
      TreeSet<String> domains = new TreeSet<>(current.domains());
      boolean listed = (current.mode() == Mode.ALLOWLIST) == allow;
      if (listed) {
        domains.add(domain);
      } else {
        domains.remove(domain);
      }
      return write(h, current.mode(), domains, current.version() + 1, now);
    });
  }

  private static Policy write(Handle h, Mode mode, Collection<String> domains, long version, Instant now) {
    h.createUpdate("""
            insert into policy (id, mode, version, updated_at) values (true, :mode, :version, :now)
            on conflict (id) do update set mode = excluded.mode, version = excluded.version,
              updated_at = excluded.updated_at""")
        .bind("mode", mode.name().toLowerCase(Locale.ROOT)).bind("version", version).bind("now", now).execute();
    h.execute("delete from policy_domains");
    var batch = h.prepareBatch("insert into policy_domains (domain) values (:domain)");
    new TreeSet<>(domains).forEach(d -> batch.bind("domain", d).add());
    if (!domains.isEmpty()) {
      batch.execute();
    }
    return new Policy(mode, new TreeSet<>(domains), version, now);
  }

  private record Head(Mode mode, long version, Instant updatedAt) {}

  private static Optional<Policy> read(Handle h) {
    Optional<Head> head = h.createQuery("select mode, version, updated_at from policy")
        .map((rs, ctx) -> new Head(Mode.valueOf(rs.getString("mode").toUpperCase(Locale.ROOT)), rs.getLong("version"),
            rs.getObject("updated_at", OffsetDateTime.class).toInstant()))
        .findOne();
    return head.map(p -> new Policy(p.mode(),
        new TreeSet<>(h.createQuery("select domain from policy_domains").mapTo(String.class).list()),
        p.version(), p.updatedAt()));
  }
}
