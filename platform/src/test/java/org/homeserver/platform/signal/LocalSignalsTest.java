package org.homeserver.platform.signal;

/** The in-process signalling against the shared contract; one process has one bus. */
class LocalSignalsTest extends SignalsContract {
  @Override
  protected Signals create() {
    return new LocalSignals();
  }

  @Override
  protected Signals peerOf(Signals first) {
    // Within one process every part shares the one bus; closing the "peer" must not close it.
    return new Signals() {
      @Override
      public void publish(String channel, byte[] message) {
        first.publish(channel, message);
      }

      @Override
      public Subscription subscribe(String channel, java.util.function.Consumer<byte[]> listener) {
        return first.subscribe(channel, listener);
      }

      @Override
      public String kind() {
        return first.kind();
      }

      @Override
      public boolean healthy() {
        return first.healthy();
      }

      @Override
      public boolean reliable() {
        return first.reliable();
      }

      @Override
      public void close() {}
    };
  }
}
