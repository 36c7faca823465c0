package org.homeserver.bench;

import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.homeserver.mls.codec.MlsDecodeException;
import org.homeserver.mls.message.MlsMessage;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * How fast the codec decodes whole MLSMessages from bytes, as the Delivery Service does for every
 * message it receives: messages per second, and bytes per second in the secondary result "bytes".
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
// Two forks: on the 2-core VM the PrivateMessage figure differed by 20% from one JVM to the next.
@Fork(value = 2, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class DecodeBenchmark {

  /** The encoded messages, built once per run. */
  @State(Scope.Benchmark)
  public static class Messages {
    byte[] privateMessage;
    byte[] commitWithAdds;
    byte[] keyPackage;

    @Setup
    public void build() {
      Instant now = Instant.now();
      privateMessage = SampleMessages.privateMessage();
      commitWithAdds = SampleMessages.commitWithAdds(now);
      keyPackage = SampleMessages.keyPackage(SampleMessages.SUITE, now);
    }
  }

  /** Bytes decoded; JMH reports it per second next to the operations. */
  @State(Scope.Thread)
  @AuxCounters(AuxCounters.Type.OPERATIONS)
  public static class Bytes {
    public long bytes;

    // JMH leaves resetting operation counters to the benchmark.
    @Setup(Level.Iteration)
    public void reset() {
      bytes = 0;
    }
  }

  @Benchmark
  public void privateMessage(Messages messages, Bytes bytes, Blackhole blackhole) throws MlsDecodeException {
    decode(messages.privateMessage, bytes, blackhole);
  }

  @Benchmark
  public void commitWithTenAdds(Messages messages, Bytes bytes, Blackhole blackhole) throws MlsDecodeException {
    decode(messages.commitWithAdds, bytes, blackhole);
  }

  @Benchmark
  public void keyPackage(Messages messages, Bytes bytes, Blackhole blackhole) throws MlsDecodeException {
    decode(messages.keyPackage, bytes, blackhole);
  }

  private static void decode(byte[] message, Bytes bytes, Blackhole blackhole) throws MlsDecodeException {
    blackhole.consume(MlsMessage.decode(message));
    bytes.bytes += message.length;
  }
}
