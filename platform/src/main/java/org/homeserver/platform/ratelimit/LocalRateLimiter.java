package org.homeserver.platform.ratelimit;

import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;

/** Fixed-window counting in this process's memory; a window is forgotten when it ends. */
public final class LocalRateLimiter implements RateLimiter {
  private record Window(long startMillis, int count) {}

  private final ConcurrentMap<String, Window> windows;
  private final int limit;
  private final long windowMillis;
  private final Clock clock;

  public LocalRateLimiter(int limit, Duration window, Clock clock) {
    this.limit = limit;
    this.windowMillis = window.toMillis();
    this.clock = clock;
    this.windows = Caffeine.newBuilder()
        // A count expires with its window, however often it was raised.
        .expireAfter(Expiry.writing((String key, Window w) -> Duration.ofMillis(remainingMillis(w))))
        .ticker(() -> TimeUnit.MILLISECONDS.toNanos(clock.millis()))
        // Upkeep on the calling thread: no pool of its own, and tests stay deterministic.
        .executor(Runnable::run)
        .<String, Window>build()
        .asMap();
  }

  @Override
  public Optional<Duration> tryAcquire(String key) {
    long now = clock.millis();
    // An ended window is gone from the map, so it starts anew here.
    Window w = windows.compute(key, (k, old) ->
        old == null ? new Window(now, 1) : new Window(old.startMillis(), old.count() + 1));
    return w.count() <= limit ? Optional.empty() : Optional.of(Duration.ofMillis(remainingMillis(w)));
  }

  @Override
  public boolean spent(String key) {
    Window w = windows.get(key);
    return w != null && w.count() >= limit;
  }

  @Override
  public void clear(String key) {
    windows.remove(key);
  }

  private long remainingMillis(Window w) {
    return Math.max(0, w.startMillis() + windowMillis - clock.millis());
  }
}
