package org.homeserver.platform.signal;

import org.homeserver.platform.testing.TestRedis;

/** The same contract on a three-master Redis Cluster, through sharded pub/sub. */
class RedisClusterSignalsTest extends RedisSignalsTest {
  @Override
  protected TestRedis.Topology topology() {
    return TestRedis.Topology.CLUSTER;
  }
}
