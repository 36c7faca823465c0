package org.homeserver.platform.signal;

import org.homeserver.platform.testing.TestRedis;

/** The Redis signalling against the shared contract; the peer is a second connection, as another process. */
class RedisSignalsTest extends SignalsContract {
  private Redis firstConnection;

  /** The kind of Redis the contract runs against here. */
  protected TestRedis.Topology topology() {
    return TestRedis.Topology.SINGLE;
  }

  @Override
  protected Signals create() {
    firstConnection = TestRedis.connect(topology());
    closeAfterwards(firstConnection);
    return new RedisSignals(firstConnection);
  }

  @Override
  protected Signals peerOf(Signals first) {
    Redis redis = TestRedis.connectBeside(firstConnection);
    closeAfterwards(redis);
    return new RedisSignals(redis);
  }
}
