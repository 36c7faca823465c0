package org.homeserver.bench;

import java.time.Clock;
import java.time.Duration;
import java.util.EnumSet;
import java.util.concurrent.TimeUnit;
import org.homeserver.mls.codec.MlsDecodeException;
import org.homeserver.mls.crypto.CipherSuite;
import org.homeserver.mls.message.KeyPackage;
import org.homeserver.mls.message.MlsMessage;
import org.homeserver.mls.validation.InvalidKeyPackageException;
import org.homeserver.mls.validation.KeyPackageValidator;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * How many uploaded KeyPackages the server can check per second: every rule of
 * {@link KeyPackageValidator}, of which the two signature verifications (leaf node and KeyPackage)
 * cost nearly everything. Decoding is measured by {@link DecodeBenchmark}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
// Bouncy Castle's curve arithmetic takes about 8 s to reach full speed on two cores: warm up longer.
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@State(Scope.Benchmark)
public class ValidationBenchmark {
  /** The suite's signature scheme: Ed25519 (suite 1) or ECDSA P-256 (suite 2). */
  @Param({"Ed25519", "P256"})
  public String scheme;

  private KeyPackage keyPackage;
  private KeyPackageValidator validator;

  @Setup
  public void build() throws MlsDecodeException, InvalidKeyPackageException {
    CipherSuite suite = switch (scheme) {
      case "Ed25519" -> CipherSuite.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;
      case "P256" -> CipherSuite.MLS_128_DHKEMP256_AES128GCM_SHA256_P256;
      default -> throw new IllegalArgumentException("no suite for scheme " + scheme);
    };
    Clock clock = Clock.systemUTC();
    // Decoded from the wire, as the server gets it, not the object that was encoded.
    MlsMessage message = MlsMessage.decode(SampleMessages.keyPackage(suite, clock.instant()));
    keyPackage = ((MlsMessage.KeyPackageBody) message.body()).keyPackage();
    validator = new KeyPackageValidator(EnumSet.allOf(CipherSuite.class), Duration.ofMinutes(5), clock);
    // A benchmark of the refusal path would measure nothing useful: fail the run instead.
    validator.validate(keyPackage);
  }

  @Benchmark
  public void validate(Blackhole blackhole) throws InvalidKeyPackageException {
    blackhole.consume(validator.validate(keyPackage));
  }
}
