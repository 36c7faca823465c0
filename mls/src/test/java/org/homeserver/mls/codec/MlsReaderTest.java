package org.homeserver.mls.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.homeserver.mls.TestVectors;
import org.junit.jupiter.api.Test;

class MlsReaderTest {
  private static byte[] hex(String s) {
    return HexFormat.of().parseHex(s);
  }

  @Test
  void everyWorkingGroupLengthHeaderDecodesAndEncodesMinimally() throws MlsDecodeException {
    List<Map<String, Object>> cases = TestVectors.load("deserialization.json");
    assertEquals(14, cases.size());
    for (Map<String, Object> c : cases) {
      byte[] header = TestVectors.hex((String) c.get("vlbytes_header"));
      long length = ((Number) c.get("length")).longValue();
      MlsReader r = MlsReader.of(header);
      assertEquals(length, r.varint("length"), c.toString());
      r.requireEnd("length");
      assertArrayEquals(header, new MlsWriter().varint((int) length).toByteArray(), c.toString());
    }
  }

  @Test
  void nonMinimalLengthsAreRefused() {
    MlsDecodeException two = assertThrows(MlsDecodeException.class, () -> MlsReader.of(hex("4025")).varint("group_id"));
    assertEquals("group_id", two.field());
    assertEquals(0, two.offset());
    assertTrue(two.reason().contains("not minimally encoded"), two.reason());
    assertThrows(MlsDecodeException.class, () -> MlsReader.of(hex("80003fff")).varint("x"));
    MlsDecodeException eight = assertThrows(MlsDecodeException.class,
        () -> MlsReader.of(hex("c000000000000001")).varint("x"));
    assertTrue(eight.reason().contains("0b11"), eight.reason());
  }

  @Test
  void aLengthBeyondTheInputAllocatesNothingAndNamesTheField() {
    // A vector claiming 2^30 - 1 bytes in a 5-byte input.
    MlsDecodeException e = assertThrows(MlsDecodeException.class,
        () -> MlsReader.of(hex("bfffffff00")).opaque("ciphertext"));
    assertEquals("ciphertext", e.field());
    assertEquals("length 1073741823 exceeds the 1 byte(s) left", e.reason());
  }

  @Test
  void trailingBytesAreRefused() {
    MlsDecodeException e = assertThrows(MlsDecodeException.class,
        () -> MlsReader.decodeAll(hex("0161ff"), "thing", r -> r.opaque("value")));
    assertEquals("thing", e.field());
    assertEquals(2, e.offset());
    assertEquals("1 trailing byte(s)", e.reason());
  }

  @Test
  void vectorElementsMustFillTheVectorExactly() {
    // A vector of u16 whose byte length (3) is not a whole number of elements.
    MlsDecodeException e = assertThrows(MlsDecodeException.class,
        () -> MlsReader.of(hex("03000100")).vector("versions", r -> r.u16("version")));
    assertEquals("versions[1].version", e.field());
    assertEquals(3, e.offset());
  }

  @Test
  void optionalPresenceMustBeZeroOrOne() {
    MlsDecodeException e = assertThrows(MlsDecodeException.class,
        () -> MlsReader.of(hex("02")).optional("path", r -> r.u8("x")));
    assertTrue(e.reason().contains("not 0 or 1"));
  }

  /** A structure that contains itself while a byte says so: 1 = another level follows. */
  private static int levels(MlsReader r) throws MlsDecodeException {
    return r.u8("more") == 1 ? 1 + r.struct("inner", MlsReaderTest::levels) : 0;
  }

  @Test
  void nestingIsBounded() throws MlsDecodeException {
    byte[] shallow = new byte[MlsReader.MAX_DEPTH];
    java.util.Arrays.fill(shallow, 0, shallow.length - 2, (byte) 1);
    assertEquals(MlsReader.MAX_DEPTH - 2, MlsReader.of(shallow).struct("outer", MlsReaderTest::levels));
    byte[] deep = new byte[MlsReader.MAX_DEPTH + 5];
    java.util.Arrays.fill(deep, (byte) 1);
    MlsDecodeException e = assertThrows(MlsDecodeException.class,
        () -> MlsReader.of(deep).struct("outer", MlsReaderTest::levels));
    assertTrue(e.reason().startsWith("nesting deeper than"), e.reason());
  }

  @Test
  void inputBeyondTheMaximumIsRefusedAtOnce() {
    assertThrows(MlsDecodeException.class, () -> MlsReader.of(new byte[MlsReader.MAX_INPUT_BYTES + 1]));
  }

  @Test
  void writerRefusesLengthsMlsCannotExpress() {
    assertThrows(IllegalArgumentException.class, () -> new MlsWriter().varint(1 << 30));
    assertThrows(IllegalArgumentException.class, () -> new MlsWriter().varint(-1));
  }
}
