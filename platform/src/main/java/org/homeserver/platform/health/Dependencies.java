package org.homeserver.platform.health;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What this process depends on outside itself (each service's database, Redis), checked every
 * {@link #CHECK_EVERY}, all at once so one slow check does not delay the others. Each change is
 * logged, shown in {@code homeserver_dependency_up{dependency}}, and handed to the listeners (the
 * gRPC health of the services that need it follows).
 */
public final class Dependencies implements AutoCloseable {
  public static final Duration CHECK_EVERY = Duration.ofSeconds(1);
  /** A check that takes longer than this counts as down. */
  private static final Duration CHECK_TIMEOUT = Duration.ofSeconds(3);
  private static final Logger log = LoggerFactory.getLogger(Dependencies.class);

  /**
   * One dependency as last checked.
   *
   * @param service the service that cannot serve without it; empty when the process does without
   *                it, degraded (Redis: signals, shared limits)
   * @param since   when it last changed (or was registered)
   */
  public record Status(String name, Optional<String> service, boolean up, Instant since) {}

  private record Check(String name, Optional<String> service, BooleanSupplier check) {}

  private final MeterRegistry meters;
  private final Clock clock;
  private final List<Check> checks = new CopyOnWriteArrayList<>();
  private final Map<String, Status> statuses = new ConcurrentHashMap<>();
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
  private final ExecutorService running = Executors.newVirtualThreadPerTaskExecutor();
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("dependency-checks").daemon().factory());
  /** Set when the process stops: the checks under way fail as they are interrupted, which is no news. */
  private volatile boolean closed;

  public Dependencies(MeterRegistry meters, Clock clock) {
    this.meters = meters;
    this.clock = clock;
    timer.scheduleWithFixedDelay(this::checkAll, CHECK_EVERY.toMillis(), CHECK_EVERY.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Adds a dependency, counted up until its first check says otherwise. */
  public void register(String name, Optional<String> service, BooleanSupplier check) {
    checks.add(new Check(name, service, check));
    statuses.put(name, new Status(name, service, true, clock.instant()));
    Gauge.builder("homeserver_dependency_up", () -> statuses.get(name).up() ? 1 : 0)
        .description("Whether a dependency of this process answered its last check (1) or not (0)")
        .tag("dependency", name).register(meters);
  }

  /** Runs {@code listener} after any dependency changed state. */
  public void onChange(Runnable listener) {
    listeners.add(listener);
  }

  /** Every dependency as last checked, in registration order. */
  public List<Status> statuses() {
    return checks.stream().map(c -> statuses.get(c.name())).toList();
  }

  /** Whether every dependency that {@code service} cannot serve without is up. */
  public boolean serviceCanServe(String service) {
    return statuses.values().stream().filter(s -> s.service().equals(Optional.of(service))).allMatch(Status::up);
  }

  /** Checks every dependency now; the timer calls this every {@link #CHECK_EVERY}. */
  public void checkAll() {
    List<Check> now = List.copyOf(checks);
    List<Future<Boolean>> results = new ArrayList<>();
    for (Check check : now) {
      results.add(running.submit(() -> check.check().getAsBoolean()));
    }
    boolean changed = false;
    for (int i = 0; i < results.size(); i++) {
      boolean up;
      try {
        up = results.get(i).get(CHECK_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (Exception e) {
        up = false;
      }
      changed |= record(now.get(i), up);
    }
    if (changed) {
      listeners.forEach(Runnable::run);
    }
  }

  /** Takes note of one check's result; true if the dependency changed state. */
  private boolean record(Check check, boolean up) {
    if (closed || statuses.get(check.name()).up() == up) {
      return false;
    }
    statuses.put(check.name(), new Status(check.name(), check.service(), up, clock.instant()));
    String effect = check.service().map(s -> "the " + s + " service " + (up ? "serves again" : "reports NOT_SERVING"))
        .orElse(up ? "back to normal" : "degraded, not stopped");
    if (up) {
      log.info("dependency {} answers again: {}", check.name(), effect);
    } else {
      log.warn("dependency {} does not answer: {}", check.name(), effect);
    }
    return true;
  }

  @Override
  public void close() {
    closed = true;
    timer.shutdownNow();
    running.shutdownNow();
  }
}
