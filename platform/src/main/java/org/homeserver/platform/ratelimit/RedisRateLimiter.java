package org.homeserver.platform.ratelimit;

import io.lettuce.core.RedisException;
import io.lettuce.core.ScriptOutputType;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.homeserver.platform.signal.Redis;

/**
 * Fixed-window counting in Redis, shared by every process: INCR, and PEXPIRE on the first hit.
 * While Redis is down each process counts in its own memory instead (so the limit is per process
 * for that time, never absent and never a refusal of everyone).
 */
public final class RedisRateLimiter implements RateLimiter {
  private static final String SCRIPT = """
      local n = redis.call('INCR', KEYS[1])
      if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
      return {n, redis.call('PTTL', KEYS[1])}
      """;
  private final Redis redis;
  private final String name;
  private final int limit;
  private final Duration window;
  private final LocalRateLimiter whileDown;

  public RedisRateLimiter(Redis redis, String name, int limit, Duration window, Clock clock) {
    this.redis = redis;
    this.name = name;
    this.limit = limit;
    this.window = window;
    this.whileDown = new LocalRateLimiter(limit, window, clock);
  }

  @Override
  public Optional<Duration> tryAcquire(String key) {
    if (!redis.up()) {
      return whileDown.tryAcquire(key);
    }
    List<Long> result;
    try {
      result = redis.sync().eval(SCRIPT, ScriptOutputType.MULTI,
          new String[] {redisKey(key)},
          Long.toString(window.toMillis()).getBytes(StandardCharsets.US_ASCII));
    } catch (RedisException e) {
      return whileDown.tryAcquire(key);
    }
    long count = result.get(0);
    long ttl = Math.max(result.get(1), 1);
    return count <= limit ? Optional.empty() : Optional.of(Duration.ofMillis(ttl));
  }

  @Override
  public boolean spent(String key) {
    if (!redis.up()) {
      return whileDown.spent(key);
    }
    try {
      byte[] count = redis.sync().get(redisKey(key));
      return count != null && Long.parseLong(new String(count, StandardCharsets.US_ASCII)) >= limit
          || whileDown.spent(key);
    } catch (RedisException e) {
      return whileDown.spent(key);
    }
  }

  @Override
  public void clear(String key) {
    whileDown.clear(key);
    try {
      redis.sync().del(redisKey(key));
    } catch (RedisException e) {
      // Redis is down: its count expires with its window.
    }
  }

  /** One key per limited name and peer, alone in its script: no hash tag, so the counts spread over a cluster's masters. */
  private String redisKey(String key) {
    return redis.key("rate:" + name + ":" + key);
  }
}
