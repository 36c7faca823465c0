package org.homeserver.mls.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.management.ManagementFactory;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.homeserver.mls.TestVectors;
import org.homeserver.mls.codec.VectorMessages.Message;
import org.homeserver.mls.crypto.CipherSuite;
import org.homeserver.mls.message.Encodable;
import org.homeserver.mls.message.KeyPackage;
import org.homeserver.mls.message.LeafNode;
import org.homeserver.mls.message.MlsMessage;
import org.homeserver.mls.message.Proposal;
import org.homeserver.mls.validation.InvalidKeyPackageException;
import org.homeserver.mls.validation.KeyPackageValidator;
import org.junit.jupiter.api.Test;

/**
 * Mutation fuzzing of the codec over every vector message: hostile bytes get the codec's one error
 * type, never another exception, a hang, or an allocation the input does not pay for. A failure
 * gives the seed, the mutation's index, the decoder and the input in hex; {@link #mutant} rebuilds it.
 */
class MutationFuzzTest {
  /** Every input is a function of this seed and its index, so any failure replays exactly. */
  static final long SEED = 0x4D4C_5346_555A_5A01L;
  static final int INPUTS = 120_000;

  /**
   * One decode may allocate at most ALLOCATION_PER_INPUT_BYTE x input length + ALLOCATION_SLACK.
   * Measured over these inputs (JDK 25): at most 198 KB for one decode (an 8 KB ratchet tree whose
   * mutated capabilities hold 2,439 versions), at most 42 bytes per input byte for inputs of 256
   * bytes or more (a u16 vector inside an extension, which is copied once and decoded again), and
   * about 1 KiB for the smallest inputs. The per-byte cost is the records and boxed values.
   * Hand-made dense inputs are held to the same bound by DenseInputAllocationTest.
   */
  static final long ALLOCATION_PER_INPUT_BYTE = 64;
  static final long ALLOCATION_SLACK = 1 << 20;
  /** Inputs this long or longer give the summary's bytes-allocated-per-input-byte figure. */
  private static final int RATIO_FROM_LENGTH = 256;

  private static final byte[][] INFLATED_LENGTHS = {
      HexFormat.of().parseHex("bfffffff"), // 2^30 - 1, the most a vector can claim
      HexFormat.of().parseHex("80004000"), // 2^14, the smallest four-byte length
      HexFormat.of().parseHex("7fff"), // 2^14 - 1, the largest two-byte length
  };
  private static final int[] WIRE_FORMATS = {0, 1, 2, 3, 4, 5, 6, 0xffff};
  private static final int[] CONTENT_TYPES = {0, 1, 2, 3, 4, 0xff};

  enum Mutation { TRUNCATION, BIT_FLIPS, INFLATED_LENGTH, INSERTION, DELETION, SPLICE, HEADER_BYTE }

  private static final Mutation[] ANY_MESSAGE = EnumSet.complementOf(EnumSet.of(Mutation.HEADER_BYTE))
      .toArray(Mutation[]::new);
  private static final Mutation[] MLS_MESSAGE = Mutation.values();

  /** Input {@code index} of the run: {@code bytes} is {@code origin} changed by {@code kind}. */
  record Mutant(int index, Mutation kind, Message origin, byte[] bytes) {
    String replay() {
      return String.format("seed 0x%X mutation %d (%s of %s), decoder %s, input %s", SEED, index, kind,
          origin.origin(), origin.root(), HexFormat.of().formatHex(bytes));
    }
  }

  private record Attempt(Encodable value, MlsDecodeException refusal, long allocated) {}

  private enum Validation { VALID, INVALID, NOT_A_KEY_PACKAGE }

  private final com.sun.management.ThreadMXBean threads =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  @Test
  void mutatedVectorMessagesAreRefusedOnlyWithTheCodecsErrorAndBoundedAllocation() {
    assertTrue(threads.isThreadAllocatedMemorySupported(), "this JVM cannot count a thread's allocations");
    threads.setThreadAllocatedMemoryEnabled(true);
    List<Message> corpus = VectorMessages.all();
    assertEquals(5800, corpus.size(), "messages in the vectors (5100 of messages.json, 700 of the others)");
    // A hang detector, not a speed assertion (timing belongs in bench/): the run takes seconds, and
    // ten minutes only runs out if a decoder never returns.
    String summary = assertTimeoutPreemptively(Duration.ofMinutes(10), () -> fuzz(corpus));
    System.out.println(summary);
  }

  @Test
  void aFirstVectorClaimingAGigabyteIsRefusedWithoutAllocatingIt() {
    byte[] message = TestVectors.hex((String) TestVectors.load("messages.json").getFirst().get("private_message"));
    // version, wire_format, then group_id<V>, whose length header starts at byte 4.
    int header = 1 << ((message[4] & 0xff) >>> 6);
    byte[] claim = replace(message, 4, 4 + header, INFLATED_LENGTHS[0]);
    Message origin = new Message("private_message claiming 2^30 - 1 bytes of group_id", VectorMessages.MLS_MESSAGE,
        MlsMessage::decode, message, -1);
    Mutant mutant = new Mutant(-1, Mutation.INFLATED_LENGTH, origin, claim);
    attempt(mutant); // The first run links the call sites on its path; the second measures the decode alone.
    Attempt attempt = attempt(mutant);

    assertTrue(attempt.refusal() != null, "decoded: " + mutant.replay());
    assertEquals("mls_message.private_message.group_id", attempt.refusal().field());
    assertEquals(4, attempt.refusal().offset());
    assertTrue(attempt.refusal().reason().contains("1073741823"), attempt.refusal().reason());
    assertTrue(attempt.allocated() < 1 << 20, "allocated " + attempt.allocated() + " bytes");
  }

  /** Runs every input; returns the summary line. */
  private String fuzz(List<Message> corpus) {
    for (Message message : corpus) {
      Attempt attempt = attempt(new Mutant(-1, Mutation.TRUNCATION, message, message.bytes()));
      assertTrue(attempt.value() != null, message.origin() + " does not decode: " + attempt.refusal());
    }
    Map<Mutation, Integer> kinds = new EnumMap<>(Mutation.class);
    int unchanged = 0;
    int decoded = 0;
    int keyPackagesInvalid = 0;
    long maxAllocated = 0;
    int maxAllocatedLength = 0;
    double maxRatio = 0;
    for (int i = 0; i < INPUTS; i++) {
      Mutant mutant = mutant(corpus, i);
      kinds.merge(mutant.kind(), 1, Integer::sum);
      boolean same = Arrays.equals(mutant.bytes(), mutant.origin().bytes());
      unchanged += same ? 1 : 0;
      Attempt attempt = boundedAttempt(mutant);
      int length = mutant.bytes().length;
      if (attempt.allocated() > maxAllocated) {
        maxAllocated = attempt.allocated();
        maxAllocatedLength = length;
      }
      if (length >= RATIO_FROM_LENGTH) {
        maxRatio = Math.max(maxRatio, (double) attempt.allocated() / length);
      }
      if (attempt.refusal() != null) {
        checkRefusal(mutant, attempt.refusal());
        continue;
      }
      decoded++;
      checkReencoding(mutant, attempt.value());
      switch (validation(mutant, attempt.value())) {
        case INVALID -> keyPackagesInvalid++;
        case VALID -> assertTrue(same, "a changed KeyPackage still validates, for " + mutant.replay());
        case NOT_A_KEY_PACKAGE -> { }
      }
    }
    return String.format("MutationFuzzTest seed 0x%X: %d inputs over %d messages %s (%d unchanged by their"
        + " mutation); %d still decoded, of which %d KeyPackages failed validation and none changed passed;"
        + " max allocation %d bytes (a %d-byte input); max %.1f bytes allocated per input byte (inputs of %d+ bytes)",
        SEED, INPUTS, corpus.size(), kinds, unchanged, decoded, keyPackagesInvalid, maxAllocated, maxAllocatedLength,
        maxRatio, RATIO_FROM_LENGTH);
  }

  /** Input {@code index}: a message of the corpus in turn, and a mutation drawn from the seed. */
  static Mutant mutant(List<Message> corpus, int index) {
    SplittableRandom random = new SplittableRandom(SEED + index);
    Message origin = corpus.get(index % corpus.size());
    Mutation[] applicable = origin.isMlsMessage() ? MLS_MESSAGE : ANY_MESSAGE;
    Mutation kind = applicable[random.nextInt(applicable.length)];
    byte[] b = origin.bytes();
    byte[] bytes = switch (kind) {
      case TRUNCATION -> Arrays.copyOf(b, random.nextInt(b.length));
      case BIT_FLIPS -> flipBits(b, 1 + random.nextInt(8), random);
      case INFLATED_LENGTH -> inflateLength(b, random);
      case INSERTION -> {
        int at = random.nextInt(b.length + 1);
        byte[] inserted = new byte[1 + random.nextInt(16)];
        random.nextBytes(inserted);
        yield replace(b, at, at, inserted);
      }
      case DELETION -> {
        int at = random.nextInt(b.length);
        int end = Math.min(b.length, at + 1 + random.nextInt(16));
        yield replace(b, at, end, new byte[0]);
      }
      case SPLICE -> splice(b, corpus.get(random.nextInt(corpus.size())).bytes(), random);
      case HEADER_BYTE -> changeHeader(origin, random);
    };
    return new Mutant(index, kind, origin, bytes);
  }

  private static byte[] flipBits(byte[] b, int flips, SplittableRandom random) {
    byte[] out = b.clone();
    for (int i = 0; i < flips; i++) {
      int bit = random.nextInt(out.length * 8);
      out[bit / 8] ^= (byte) (1 << (bit % 8));
    }
    return out;
  }

  // A varint header claiming a large length written over any position (cut at the end of the
  // input), or one byte incremented, which lengthens a one-byte length.
  private static byte[] inflateLength(byte[] b, SplittableRandom random) {
    byte[] out = b.clone();
    int at = random.nextInt(out.length);
    int variant = random.nextInt(INFLATED_LENGTHS.length + 1);
    if (variant == INFLATED_LENGTHS.length) {
      out[at]++;
    } else {
      byte[] header = INFLATED_LENGTHS[variant];
      System.arraycopy(header, 0, out, at, Math.min(header.length, out.length - at));
    }
    return out;
  }

  // Up to 64 bytes of another message, inserted or written over the same number of bytes.
  private static byte[] splice(byte[] b, byte[] other, SplittableRandom random) {
    int from = random.nextInt(other.length);
    byte[] chunk = Arrays.copyOfRange(other, from, from + 1 + random.nextInt(Math.min(64, other.length - from)));
    int at = random.nextInt(b.length + 1);
    int resume = random.nextBoolean() ? at : Math.min(b.length, at + chunk.length);
    return replace(b, at, resume, chunk);
  }

  // Another wire format (bytes 2 and 3), or for framed messages another content type.
  private static byte[] changeHeader(Message origin, SplittableRandom random) {
    byte[] out = origin.bytes().clone();
    if (origin.contentTypeOffset() >= 0 && random.nextBoolean()) {
      int at = origin.contentTypeOffset();
      out[at] = (byte) other(out[at] & 0xff, CONTENT_TYPES, random);
    } else {
      int format = other((out[2] & 0xff) << 8 | out[3] & 0xff, WIRE_FORMATS, random);
      out[2] = (byte) (format >>> 8);
      out[3] = (byte) format;
    }
    return out;
  }

  private static int other(int current, int[] values, SplittableRandom random) {
    int value;
    do {
      value = values[random.nextInt(values.length)];
    } while (value == current);
    return value;
  }

  /** {@code b} with its bytes from {@code from} to {@code to} replaced by {@code with}. */
  private static byte[] replace(byte[] b, int from, int to, byte[] with) {
    byte[] out = new byte[b.length - (to - from) + with.length];
    System.arraycopy(b, 0, out, 0, from);
    System.arraycopy(with, 0, out, from, with.length);
    System.arraycopy(b, to, out, from + with.length, b.length - to);
    return out;
  }

  /** Decodes with the origin's decoder, counting what this thread allocates meanwhile. */
  private Attempt attempt(Mutant mutant) {
    long before = threads.getCurrentThreadAllocatedBytes();
    Encodable value = null;
    MlsDecodeException refusal = null;
    try {
      value = mutant.origin().decode(mutant.bytes());
    } catch (MlsDecodeException e) {
      refusal = e;
    } catch (Throwable t) {
      fail("the codec threw " + t + " for " + mutant.replay(), t);
    }
    return new Attempt(value, refusal, threads.getCurrentThreadAllocatedBytes() - before);
  }

  private Attempt boundedAttempt(Mutant mutant) {
    long bound = ALLOCATION_PER_INPUT_BYTE * mutant.bytes().length + ALLOCATION_SLACK;
    Attempt attempt = attempt(mutant);
    if (attempt.allocated() > 16L * mutant.bytes().length + 4096) {
      // The first run of a rare path (an error message, say) links its call sites, tens of KiB
      // once per JVM; the second run measures what the decode itself costs.
      attempt = attempt(mutant);
    }
    if (attempt.allocated() > bound) {
      fail("one decode allocated " + attempt.allocated() + " bytes, more than " + bound + ", for " + mutant.replay());
    }
    return attempt;
  }

  private static void checkRefusal(Mutant mutant, MlsDecodeException e) {
    boolean named = e.field() != null && !e.field().isEmpty() && e.reason() != null && !e.reason().isEmpty();
    boolean placed = e.offset() >= 0 && e.offset() <= mutant.bytes().length;
    if (!named || !placed) {
      fail("the refusal \"" + e.getMessage() + "\" lacks a field or reason or has an offset outside the input, for "
          + mutant.replay());
    }
  }

  // Strict and byte-exact: whatever the codec accepts, it writes back exactly as received.
  private static void checkReencoding(Mutant mutant, Encodable value) {
    try {
      byte[] again = value.toBytes();
      if (!Arrays.equals(mutant.bytes(), again)) {
        fail("decoded but re-encodes as " + HexFormat.of().formatHex(again) + ", for " + mutant.replay());
      }
    } catch (RuntimeException e) {
      fail("re-encoding threw " + e + " for " + mutant.replay(), e);
    }
  }

  /** For a KeyPackage that still decodes, whether it validates. */
  private static Validation validation(Mutant mutant, Encodable value) {
    KeyPackage keyPackage = switch (value) {
      case MlsMessage(int _, MlsMessage.KeyPackageBody(KeyPackage k)) -> k;
      case VectorMessages.ProposalBody(Proposal.Add(KeyPackage k)) -> k;
      default -> null;
    };
    if (keyPackage == null) {
      return Validation.NOT_A_KEY_PACKAGE;
    }
    try {
      validatorAtNotBefore(keyPackage).validate(keyPackage);
      return Validation.VALID;
    } catch (InvalidKeyPackageException e) {
      return Validation.INVALID;
    } catch (RuntimeException | Error e) {
      return fail("validation threw " + e + " for " + mutant.replay(), e);
    }
  }

  /** Every suite allowed; the clock at the lifetime's start (a mutated one is unsigned and may exceed an Instant). */
  private static KeyPackageValidator validatorAtNotBefore(KeyPackage keyPackage) {
    long latest = Instant.MAX.getEpochSecond();
    long notBefore = keyPackage.leafNode().source() instanceof LeafNode.KeyPackageSource(long start, long _) ? start : 0;
    Instant now = Instant.ofEpochSecond(Long.compareUnsigned(notBefore, latest) > 0 ? latest : notBefore);
    return new KeyPackageValidator(EnumSet.allOf(CipherSuite.class), Duration.ZERO, Clock.fixed(now, ZoneOffset.UTC));
  }
}
