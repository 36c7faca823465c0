package org.homeserver.federation.policy;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Collection;
import java.util.Set;
import java.util.function.Consumer;
import org.homeserver.federation.FederationSettings.Mode;
import org.homeserver.platform.signal.Signals;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The federation policy as every part of this process applies it: a copy of the stored policy,
 * replaced at once when any process changes it (a signal) and checked against the stored version
 * every few seconds in case a signal was lost. Refusals are logged and counted here.
 */
public final class LivePolicy implements AutoCloseable {
  /** The signal channel a change is announced on; the message is the new version. */
  static final String CHANNEL = "federation-policy";
  private static final Logger log = LoggerFactory.getLogger(LivePolicy.class);

  /** Which way a refused call was going. */
  public enum Direction { INBOUND, OUTBOUND }

  private final PolicyStore store;
  private final Signals signals;
  private final Clock clock;
  private final MeterRegistry meters;
  private final Consumer<Set<String>> onNewlyAllowed;
  private final Signals.Subscription subscription;
  private volatile Policy current;

  /**
   * @param onNewlyAllowed called, in the process that made a change, with the domains it allows that
   *                       were forbidden before (their outbox backoff is reset)
   */
  public LivePolicy(PolicyStore store, Policy initial, Signals signals, Clock clock, MeterRegistry meters,
                    Consumer<Set<String>> onNewlyAllowed) {
    this.store = store;
    this.signals = signals;
    this.clock = clock;
    this.meters = meters;
    this.onNewlyAllowed = onNewlyAllowed;
    this.current = initial;
    this.subscription = signals.subscribe(CHANNEL, version -> refreshIfOlderThan(
        Long.parseLong(new String(version, StandardCharsets.US_ASCII))));
  }

  public Policy current() {
    return current;
  }

  public boolean allows(String domain) {
    return current.allows(domain);
  }

  /**
   * Logs and counts a refusal of {@code domain} by the policy, and returns whether it was refused:
   * the one place both directions ask.
   */
  public boolean refuses(String domain, Direction direction, String what) {
    if (allows(domain)) {
      return false;
    }
    log.info("federation policy refused {} {} {} ({} mode)", direction == Direction.INBOUND ? "from" : "to", domain,
        what, current.mode().name().toLowerCase(java.util.Locale.ROOT));
    Counter.builder("federation.policy.refused").tag("direction", direction.name().toLowerCase(java.util.Locale.ROOT))
        .tag("domain", domain).register(meters).increment();
    return true;
  }

  public Policy replace(Mode mode, Collection<String> domains) {
    return changed(store.replace(mode, domains, clock.instant()));
  }

  public Policy change(String domain, boolean allow) {
    return changed(store.change(domain, allow, clock.instant()));
  }

  /** Reads the stored policy if its version is not the one held: for the periodic check. */
  public void refresh() {
    refreshIfOlderThan(store.version());
  }

  private void refreshIfOlderThan(long version) {
    if (version > current.version()) {
      Policy loaded = store.load();
      synchronized (this) {
        if (loaded.version() > current.version()) {
          current = loaded;
          log.info("federation policy version {} in force: {} {}", loaded.version(), loaded.mode(), loaded.domains());
        }
      }
    }
  }

  private Policy changed(Policy next) {
    Policy before;
    synchronized (this) {
      before = current;
      if (next.version() > current.version()) {
        current = next;
      }
    }
    signals.publish(CHANNEL, Long.toString(next.version()).getBytes(StandardCharsets.US_ASCII));
    Set<String> allowed = next.newlyAllowed(before);
    if (!allowed.isEmpty()) {
      onNewlyAllowed.accept(allowed);
    }
    return next;
  }

  @Override
  public void close() {
    subscription.close();
  }
}
