package org.homeserver.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.homeserver.launcher.HomeserverLifecycleTest.Cli;
import org.homeserver.mls.TestVectors;
import org.homeserver.mls.codec.MlsReader;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/** {@code homeserver mls decode}: every vector message in every input form, and junk refused cleanly. */
class MlsDecodeCommandTest {
  /** The MLSMessage fields of messages.json and the wire format each has. */
  private static final Map<String, String> MESSAGE_FIELDS = Map.of(
      "mls_welcome", "mls_welcome",
      "mls_group_info", "mls_group_info",
      "mls_key_package", "mls_key_package",
      "public_message_application", "mls_public_message",
      "public_message_proposal", "mls_public_message",
      "public_message_commit", "mls_public_message",
      "private_message", "mls_private_message");

  @TempDir
  Path dir;

  /** One vector message: where it comes from, its bytes and its wire format. */
  private record Vector(String name, byte[] bytes, String wireFormat) {}

  @Test
  void everyVectorMessageDecodesFromBinaryHexAndBase64FilesAndStdin() throws IOException {
    List<Vector> vectors = vectors();
    assertEquals(300 * 7 + 7 * 2, vectors.size());
    // One command line for all (as a shell would start one process per run, but without 8,000 JVMs).
    CommandLine command = Main.commandLine();
    for (int i = 0; i < vectors.size(); i++) {
      Vector v = vectors.get(i);
      Path binary = Files.write(dir.resolve("message.bin"), v.bytes());
      Path hex = Files.writeString(dir.resolve("message.hex"), wrappedHex(v.bytes()));
      Path base64 = Files.write(dir.resolve("message.b64"), Base64.getMimeEncoder().encode(v.bytes()));
      assertDescribes(v, Cli.run(command, "mls", "decode", binary.toString()));
      assertDescribes(v, Cli.run(command, "mls", "decode", hex.toString()));
      assertDescribes(v, Cli.run(command, "mls", "decode", "--input", "base64", base64.toString()));
      // Standard input, in each form in turn (with and without "-").
      switch (i % 3) {
        case 0 -> assertDescribes(v, withStdin(v.bytes(), () -> Cli.run(command, "mls", "decode")));
        case 1 -> assertDescribes(v, withStdin(Files.readAllBytes(hex), () -> Cli.run(command, "mls", "decode", "-")));
        default -> assertDescribes(v, withStdin(Files.readAllBytes(base64), () -> Cli.run(command, "mls", "decode")));
      }
    }
  }

  @Test
  void keyPackagesCarryTheirRefAndAValidationVerdict() throws IOException {
    for (Vector v : vectors()) {
      if (!v.wireFormat().equals("mls_key_package")) {
        continue;
      }
      Map<String, Object> keyPackage = map(describe(v).get("key_package"));
      assertTrue(((String) keyPackage.get("key_package_ref")).matches("[0-9a-f]{64,128}"), v.name());
      Map<String, Object> validation = map(keyPackage.get("validation"));
      // The vectors' lifetimes lie wherever they lie relative to now: only the verdict's shape is fixed.
      if (Boolean.TRUE.equals(validation.get("valid"))) {
        assertEquals(Map.of("valid", true), validation, v.name());
      } else {
        assertEquals(List.of("valid", "rule", "detail"), List.copyOf(validation.keySet()), v.name());
      }
    }
  }

  @Test
  void outputIsPrettyPrintedWithTwoSpaces() throws IOException {
    Vector v = vectors().getFirst();
    String out = Cli.run("mls", "decode", Files.write(dir.resolve("m"), v.bytes()).toString()).out();
    assertTrue(out.startsWith("{\n  \"wire_format\": \"" + v.wireFormat() + "\",\n  \"version\": \"mls10\",\n"), out);
    assertTrue(out.endsWith("}" + System.lineSeparator()), out);
  }

  @Test
  void emptyInputIsRefusedWithTheDecodersError() throws IOException {
    Cli fromStdin = withStdin(new byte[0], () -> Cli.run("mls", "decode"));
    assertRefused(fromStdin, "error: mls_message.version at offset 0: needs 2 byte(s), 0 left");
    assertRefused(Cli.run("mls", "decode", Files.write(dir.resolve("empty"), new byte[0]).toString()),
        "error: mls_message.version at offset 0: needs 2 byte(s), 0 left");
  }

  @Test
  void randomBytesAreRefused() throws IOException {
    Random random = new Random(20240901);
    for (int i = 0; i < 300; i++) {
      byte[] junk = new byte[random.nextInt(1, 600)];
      random.nextBytes(junk);
      assertRefused(Cli.run("mls", "decode", Files.write(dir.resolve("junk"), junk).toString()), null);
    }
  }

  @Test
  void truncatedVectorMessagesAreRefusedWithTheFieldAndOffset() throws IOException {
    for (Vector v : vectors().subList(0, 7 * 5)) {
      for (int length : new int[] {1, 2, 4, v.bytes().length / 2, v.bytes().length - 1}) {
        Path file = Files.write(dir.resolve("truncated"), Arrays.copyOf(v.bytes(), length));
        Cli cli = Cli.run("mls", "decode", file.toString());
        assertRefused(cli, null);
        assertTrue(cli.err().matches("error: mls_message\\.\\S+ at offset \\d+: .+\\R"), v.name() + ": " + cli.err());
      }
    }
  }

  @Test
  void textThatIsNotHexIsRefusedWhereItGoesWrong() throws IOException {
    Path notHex = Files.writeString(dir.resolve("text"), "0001 0005 zz");
    assertRefused(Cli.run("mls", "decode", "--input", "hex", notHex.toString()),
        "error: input at offset 10: 'z' is not a hex digit");
    Path odd = Files.writeString(dir.resolve("odd"), "000100050");
    assertRefused(Cli.run("mls", "decode", "--input", "hex", odd.toString()),
        "error: input at offset 9: an odd number of hex digits (9)");
    Path notBase64 = Files.writeString(dir.resolve("b64"), "AAEA*BQ==");
    assertRefused(Cli.run("mls", "decode", "--input", "base64", notBase64.toString()), null);
  }

  @Test
  void inputBeyondTheReadLimitIsRefusedWithoutReadingItAll() throws IOException {
    Path huge = Files.write(dir.resolve("huge"), new byte[MlsCommands.Decode.MAX_READ_BYTES + 1]);
    assertRefused(Cli.run("mls", "decode", huge.toString()),
        "error: input at offset 0: more than 33554432 bytes; at most that many are read");
    Path large = Files.write(dir.resolve("large"), new byte[MlsReader.MAX_INPUT_BYTES + 1]);
    assertRefused(Cli.run("mls", "decode", large.toString()),
        "error: input at offset 0: is 8388609 bytes; at most 8388608 are read");
  }

  @Test
  void unreadableFileIsRefusedWithItsName() {
    Path missing = dir.resolve("no-such-message.bin");
    assertRefused(Cli.run("mls", "decode", missing.toString()), "error: cannot read " + missing + ": no such file");
    assertRefused(Cli.run("mls", "decode", dir.toString()), null);
  }

  @Test
  void unknownInputFormatIsAUsageError() {
    Cli cli = Cli.run("mls", "decode", "--input", "xml", "-");
    assertEquals(2, cli.status());
    assertEquals("", cli.out());
    assertTrue(cli.err().startsWith("Invalid value for option '--input': expected binary, hex or base64, not 'xml'"),
        cli.err());
  }

  private static void assertDescribes(Vector v, Cli cli) {
    assertEquals(0, cli.status(), v.name() + ": " + cli.err());
    assertEquals("", cli.err(), v.name());
    assertEquals(v.wireFormat(), json(cli.out()).get("wire_format"), v.name());
  }

  /** Exit status 1, nothing on stdout, one error line on stderr (that line, if given). */
  private static void assertRefused(Cli cli, String line) {
    assertEquals(1, cli.status(), cli.out() + cli.err());
    assertEquals("", cli.out());
    List<String> lines = cli.err().lines().toList();
    assertEquals(1, lines.size(), cli.err());
    assertTrue(lines.getFirst().startsWith("error: "), cli.err());
    if (line != null) {
      assertEquals(line, lines.getFirst());
    }
  }

  private Map<String, Object> describe(Vector v) throws IOException {
    Cli cli = Cli.run("mls", "decode", Files.write(dir.resolve("m"), v.bytes()).toString());
    assertDescribes(v, cli);
    return json(cli.out());
  }

  private static List<Vector> vectors() {
    List<Vector> vectors = new ArrayList<>();
    List<Map<String, Object>> messages = TestVectors.load("messages.json");
    for (int i = 0; i < messages.size(); i++) {
      for (Map.Entry<String, String> field : MESSAGE_FIELDS.entrySet()) {
        vectors.add(new Vector("messages.json case " + i + " " + field.getKey(),
            TestVectors.hex((String) messages.get(i).get(field.getKey())), field.getValue()));
      }
    }
    List<Map<String, Object>> welcomes = TestVectors.load("welcome.json");
    for (int i = 0; i < welcomes.size(); i++) {
      vectors.add(new Vector("welcome.json case " + i + " key_package",
          TestVectors.hex((String) welcomes.get(i).get("key_package")), "mls_key_package"));
      vectors.add(new Vector("welcome.json case " + i + " welcome",
          TestVectors.hex((String) welcomes.get(i).get("welcome")), "mls_welcome"));
    }
    return vectors;
  }

  /** Uppercase hex in lines of 64 digits, as people paste it. */
  private static String wrappedHex(byte[] bytes) {
    String hex = HexFormat.of().withUpperCase().formatHex(bytes);
    StringBuilder wrapped = new StringBuilder();
    for (int i = 0; i < hex.length(); i += 64) {
      wrapped.append(hex, i, Math.min(hex.length(), i + 64)).append('\n');
    }
    return wrapped.toString();
  }

  private interface Run {
    Cli run() throws IOException;
  }

  private static Cli withStdin(byte[] input, Run run) throws IOException {
    InputStream original = System.in;
    System.setIn(new ByteArrayInputStream(input));
    try {
      return run.run();
    } finally {
      System.setIn(original);
    }
  }

  private static Map<String, Object> json(String text) {
    return JsonMapper.shared().readValue(text, new TypeReference<Map<String, Object>>() {});
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object value) {
    return (Map<String, Object>) value;
  }
}
