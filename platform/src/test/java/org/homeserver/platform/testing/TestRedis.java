package org.homeserver.platform.testing;

import java.io.IOException;
import java.util.UUID;
import org.homeserver.platform.signal.Redis;

/**
 * Connections to a real Redis in a namespace of their own: the single Redis (localhost:6379 or
 * HOMESERVER_TEST_REDIS_URL), or a three-master Redis Cluster that this test JVM starts on first
 * use and shares between its tests (a test that moves slots starts a {@link RedisClusterProcess}
 * of its own instead).
 */
public final class TestRedis {
  public static final String URL = System.getenv().getOrDefault("HOMESERVER_TEST_REDIS_URL", "redis://localhost:6379");
  private static RedisClusterProcess cluster;

  private TestRedis() {}

  /** Which kind of Redis a test runs against, for tests parametrized over both. */
  public enum Topology { SINGLE, CLUSTER }

  /** A new connection to the single Redis whose keys and channels no other test shares. */
  public static Redis connect() {
    return connect(Topology.SINGLE);
  }

  /** A new connection to that kind of Redis whose keys and channels no other test shares. */
  public static Redis connect(Topology topology) {
    String namespace = "hs-test-" + UUID.randomUUID() + ":";
    return switch (topology) {
      case SINGLE -> Redis.connect(URL, namespace);
      case CLUSTER -> Redis.connectCluster(cluster().url(), namespace);
    };
  }

  /** A second connection to the same Redis in the same namespace as {@code first}, standing in for another process. */
  public static Redis connectBeside(Redis first) {
    return first.cluster() ? Redis.connectCluster(cluster().url(), first.key("")) : Redis.connect(URL, first.key(""));
  }

  /** The Redis Cluster this test JVM shares, started on first use and stopped when the JVM exits. */
  public static synchronized RedisClusterProcess cluster() {
    if (cluster == null) {
      try {
        cluster = RedisClusterProcess.start();
      } catch (IOException e) {
        throw new IllegalStateException("could not start a Redis Cluster (are redis-server and redis-cli on the PATH?)", e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while starting a Redis Cluster", e);
      }
      RedisClusterProcess started = cluster;
      Runtime.getRuntime().addShutdownHook(new Thread(started::close, "redis-cluster-stop"));
    }
    return cluster;
  }
}
