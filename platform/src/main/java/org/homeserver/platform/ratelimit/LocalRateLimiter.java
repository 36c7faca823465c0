package org.homeserver.platform.ratelimit;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** Fixed-window counting in this process's memory. */
public final class LocalRateLimiter implements RateLimiter {
  private record Window(long start, int count) {}

  private final Map<String, Window> windows = new ConcurrentHashMap<>();
  private final int limit;
  private final Duration window;
  private final Clock clock;
  private volatile long lastSweep;

  public LocalRateLimiter(int limit, Duration window, Clock clock) {
    this.limit = limit;
    this.window = window;
    this.clock = clock;
  }

  @Override
  public Optional<Duration> tryAcquire(String key) {
    long now = clock.millis();
    long size = window.toMillis();
    // Finished windows are swept at most once per window length, so the cost per attempt stays constant.
    if (now - lastSweep >= size) {
      lastSweep = now;
      windows.values().removeIf(w -> now - w.start() >= size);
    }
    Window w = windows.compute(key, (k, old) ->
        old == null || now - old.start() >= size ? new Window(now, 1) : new Window(old.start(), old.count() + 1));
    return w.count() <= limit ? Optional.empty() : Optional.of(Duration.ofMillis(w.start() + size - now));
  }

  @Override
  public boolean spent(String key) {
    Window w = windows.get(key);
    return w != null && clock.millis() - w.start() < window.toMillis() && w.count() >= limit;
  }

  @Override
  public void clear(String key) {
    windows.remove(key);
  }
}
