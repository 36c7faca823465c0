package org.homeserver.platform.ratelimit;

import io.lettuce.core.ScriptOutputType;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.homeserver.platform.signal.Redis;

/** Fixed-window counting in Redis, shared by every process: INCR, and PEXPIRE on the first hit. */
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

  public RedisRateLimiter(Redis redis, String name, int limit, Duration window) {
    this.redis = redis;
    this.name = name;
    this.limit = limit;
    this.window = window;
  }

  @Override
  public Optional<Duration> tryAcquire(String key) {
    List<Long> result = redis.commands().sync().eval(SCRIPT, ScriptOutputType.MULTI,
        new String[] {redis.key("rate:" + name + ":" + key)},
        Long.toString(window.toMillis()).getBytes(StandardCharsets.US_ASCII));
    long count = result.get(0);
    long ttl = Math.max(result.get(1), 1);
    return count <= limit ? Optional.empty() : Optional.of(Duration.ofMillis(ttl));
  }
}
