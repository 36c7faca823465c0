package org.homeserver.platform.testing;

import java.util.UUID;
import org.homeserver.platform.signal.Redis;

/** A connection to the real Redis (localhost:6379 or HOMESERVER_TEST_REDIS_URL) in a namespace of its own. */
public final class TestRedis {
  public static final String URL = System.getenv().getOrDefault("HOMESERVER_TEST_REDIS_URL", "redis://localhost:6379");

  private TestRedis() {}

  /** A new connection whose keys and channels no other test shares. */
  public static Redis connect() {
    return Redis.connect(URL, "hs-test-" + UUID.randomUUID() + ":");
  }

  /** A second connection in the same namespace as {@code first}, standing in for another process. */
  public static Redis connectBeside(Redis first) {
    return Redis.connect(URL, first.key(""));
  }
}
