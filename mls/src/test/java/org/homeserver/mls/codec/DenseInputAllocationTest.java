package org.homeserver.mls.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.management.ThreadMXBean;
import java.lang.management.ManagementFactory;
import org.homeserver.mls.message.Proposal;
import org.homeserver.mls.message.RatchetTree;
import org.junit.jupiter.api.Test;

/**
 * The densest inputs a client can craft, where every byte or two is a structure of its own, stay
 * within the fuzz test's allocation bound: decoding costs a fixed multiple of the input, however the
 * input is built.
 */
class DenseInputAllocationTest {
  private final ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();

  private long allocatedBy(MlsReader.Decoder<?> decoder, byte[] input) throws MlsDecodeException {
    MlsReader.decodeAll(input, "warm-up", decoder);
    long before = threads.getCurrentThreadAllocatedBytes();
    MlsReader.decodeAll(input, "input", decoder);
    return threads.getCurrentThreadAllocatedBytes() - before;
  }

  private static byte[] vectorOf(byte[] element, int count) {
    MlsWriter w = new MlsWriter();
    w.varint(element.length * count);
    for (int i = 0; i < count; i++) {
      w.raw(element);
    }
    return w.toByteArray();
  }

  private static void assertWithinBound(long allocated, int inputLength) {
    long bound = MutationFuzzTest.ALLOCATION_PER_INPUT_BYTE * inputLength + MutationFuzzTest.ALLOCATION_SLACK;
    assertTrue(allocated <= bound, allocated + " bytes allocated for a " + inputLength + "-byte input; bound " + bound);
  }

  @Test
  void aTreeOfBlankNodesStaysWithinTheBound() throws MlsDecodeException {
    byte[] input = vectorOf(new byte[] {0}, 2_000_000);
    assertEquals(2_000_000, MlsReader.decodeAll(input, "tree", RatchetTree::decode).nodes().size());
    assertWithinBound(allocatedBy(RatchetTree::decode, input), input.length);
  }

  @Test
  void aListOfEmptyExtensionsStaysWithinTheBound() throws MlsDecodeException {
    // group_context_extensions whose every extension is an empty last_resort: 3 bytes each.
    byte[] input = vectorOf(new byte[] {0x00, 0x0a, 0x00}, 700_000);
    MlsReader.Decoder<Proposal> decoder = r -> Proposal.decodeBody(r, Proposal.GROUP_CONTEXT_EXTENSIONS);
    assertWithinBound(allocatedBy(decoder, input), input.length);
  }
}
