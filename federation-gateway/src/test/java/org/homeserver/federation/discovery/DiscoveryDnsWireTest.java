package org.homeserver.federation.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** DnsWire on messages a real server would not send: forged, cut short, or answering another question. */
class DiscoveryDnsWireTest {
  private static final String NAME = "_homeserver-federation._tcp.b.test";

  // A NOERROR response to the query, with the given answer section bytes and count.
  private static byte[] response(int id, String question, int answers, byte[] answerSection) {
    byte[] query = DnsWire.srvQuery(id, question);
    ByteBuffer out = ByteBuffer.allocate(query.length + answerSection.length);
    out.put(query).put(answerSection);
    out.putShort(2, (short) (DnsWire.FLAG_RESPONSE | DnsWire.FLAG_RECURSION_DESIRED));
    out.putShort(6, (short) answers);
    return out.array();
  }

  private static byte[] srvAnswer(int ownerPointer, long ttl, byte[] target) {
    ByteBuffer out = ByteBuffer.allocate(2 + 10 + 6 + target.length);
    out.putShort((short) (0xC000 | ownerPointer)).putShort((short) DnsWire.TYPE_SRV).putShort((short) 1)
        .putInt((int) ttl).putShort((short) (6 + target.length)).putShort((short) 10).putShort((short) 5)
        .putShort((short) 7443).put(target);
    return out.array();
  }

  @Test
  void compressedTargetIsFollowedToTheQuestionsName() {
    // Target "hs" + pointer to "b.test" inside the question (offset 12 + len("_homeserver-federation._tcp.") + 2).
    int bTest = DnsWire.HEADER_LENGTH + 1 + "_homeserver-federation".length() + 1 + "_tcp".length();
    byte[] target = {2, 'h', 's', (byte) 0xC0, (byte) bTest};
    SrvAnswer answer = DnsWire.readSrv(response(7, NAME, 1, srvAnswer(12, 300, target)), NAME, false);

    assertEquals(new SrvAnswer.Records(List.of(new SrvRecord(10, 5, 7443, "hs.b.test.", 300)), false), answer);
  }

  @Test
  void ttlWithTheTopBitSetIsReadAsZero() {
    byte[] answer = srvAnswer(12, 0x8000_0000L, new byte[] {0});
    SrvAnswer read = DnsWire.readSrv(response(7, NAME, 1, answer), NAME, false);

    assertEquals(0, ((SrvAnswer.Records) read).records().getFirst().ttlSeconds());
  }

  @Test
  void pointerLoopIsAMalformedAnswerNotAHang() {
    int selfPointerAt = response(7, NAME, 0, new byte[0]).length;
    byte[] loop = srvAnswer(selfPointerAt, 300, new byte[] {0});

    assertEquals(new SrvAnswer.Failure("the answer was malformed"),
        DnsWire.readSrv(response(7, NAME, 1, loop), NAME, false));
  }

  @Test
  void answerCutShortIsMalformed() {
    byte[] whole = response(7, NAME, 1, srvAnswer(12, 300, new byte[] {0}));

    assertEquals(new SrvAnswer.Failure("the answer was malformed"),
        DnsWire.readSrv(Arrays.copyOf(whole, whole.length - 3), NAME, false));
  }

  @Test
  void answerToAnotherQuestionIsRefused() {
    byte[] other = response(7, "_homeserver-federation._tcp.evil.test", 1, srvAnswer(12, 300, new byte[] {0}));

    assertEquals(new SrvAnswer.Failure("the server answered another question"), DnsWire.readSrv(other, NAME, false));
  }

  @Test
  void packetWithAnotherIdOrNotAResponseIsNotTheAnswer() {
    byte[] answer = response(7, NAME, 0, new byte[0]);

    assertTrue(DnsWire.isResponseTo(answer, answer.length, 7));
    assertFalse(DnsWire.isResponseTo(answer, answer.length, 8));
    assertFalse(DnsWire.isResponseTo(DnsWire.srvQuery(7, NAME), answer.length, 7));
    assertFalse(DnsWire.isResponseTo(answer, 11, 7));
  }

  @Test
  void labelLongerThanSixtyThreeOctetsCannotBeAsked() {
    assertThrows(IllegalArgumentException.class, () -> DnsWire.srvQuery(7, "a".repeat(64) + ".test"));
  }
}
