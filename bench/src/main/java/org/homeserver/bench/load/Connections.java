package org.homeserver.bench.load;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The gRPC connections the simulated clients share: client {@code i} uses connection
 * {@code i mod count}, so with as many connections as clients each client has its own, as real ones do.
 */
public final class Connections implements AutoCloseable {
  /** delivery.proto: a queue entry can be 4 MiB; a client should accept at least 5 MiB. */
  private static final int MAX_INBOUND_BYTES = 5 * 1024 * 1024;

  private final List<ManagedChannel> channels = new ArrayList<>();

  public Connections(String host, int port, int count) {
    for (int i = 0; i < count; i++) {
      // Callbacks run on the transport threads: the generator's work per message is small, and a
      // thread hop per message would cost the shared CPUs more than the work itself.
      channels.add(NettyChannelBuilder.forAddress(host, port).usePlaintext().directExecutor()
          .maxInboundMessageSize(MAX_INBOUND_BYTES).build());
    }
  }

  ManagedChannel forClient(int index) {
    return channels.get(index % channels.size());
  }

  int count() {
    return channels.size();
  }

  @Override
  public void close() throws InterruptedException {
    channels.forEach(ManagedChannel::shutdownNow);
    for (ManagedChannel channel : channels) {
      channel.awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}
