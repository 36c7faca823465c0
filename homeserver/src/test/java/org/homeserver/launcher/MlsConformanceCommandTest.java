package org.homeserver.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import org.homeserver.launcher.HomeserverLifecycleTest.Cli;
import org.homeserver.mls.message.MlsMessage;
import org.homeserver.mls.message.PublicMessage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code homeserver mls conformance}: the working group's passive-client vectors (read from the mls
 * module's test resources, copied byte for byte) pass in full; a damaged signature fails naming its
 * case and epoch; a file that is not such vectors is exit status 2.
 */
class MlsConformanceCommandTest {
  /** passive-client-handling-commit.json: 91 joins and 182 commits, each with a tampered copy. */
  private static final String HANDLING_COMMIT_TOTALS = "273 of 273 epochs accepted, 273 tampered refused";

  @TempDir
  Path dir;

  @Test
  void everyHandlingCommitEpochIsAcceptedAndEveryTamperedCopyRefused() throws IOException {
    Cli cli = Cli.run("mls", "conformance", vectorFile("passive-client-handling-commit.json").toString());
    assertEquals(0, cli.status(), cli.err());
    assertEquals("", cli.err());
    List<String> lines = cli.out().lines().toList();
    assertEquals(273 + 1, lines.size());
    assertEquals(HANDLING_COMMIT_TOTALS, lines.getLast());
    assertTrue(lines.getFirst().matches(
        "case 0 suite 1 epoch \\d+: accepted \\(joined\\), flipped GroupInfo signature refused"), lines.getFirst());
    assertTrue(lines.get(1).matches("case 0 suite 1 epoch \\d+: accepted, flipped commit signature refused"),
        lines.get(1));
  }

  @Test
  void everyWelcomeCaseJoins() throws IOException {
    Cli cli = Cli.run("mls", "conformance", vectorFile("passive-client-welcome.json").toString());
    assertEquals(0, cli.status(), cli.err());
    assertEquals("56 of 56 epochs accepted, 56 tampered refused", cli.out().lines().toList().getLast());
  }

  @Test
  void quietPrintsOnlyTheFinalLine() throws IOException {
    Cli cli = Cli.run("mls", "conformance", "--quiet", vectorFile("passive-client-handling-commit.json").toString());
    assertEquals(0, cli.status(), cli.err());
    assertEquals(HANDLING_COMMIT_TOTALS + System.lineSeparator(), cli.out());
  }

  @Test
  void aCommitWithADamagedSignatureFailsNamingItsCaseAndEpoch() throws Exception {
    Path original = vectorFile("passive-client-handling-commit.json");
    ArrayNode cases = (ArrayNode) JsonMapper.shared().readTree(original.toFile());
    ObjectNode epoch = (ObjectNode) cases.get(17).get("epochs").get(0);
    PublicMessage commit = (PublicMessage) MlsMessage.decode(HexFormat.of().parseHex(epoch.get("commit").stringValue()))
        .body();
    byte[] signature = commit.signature();
    signature[signature.length / 2] ^= 0x10;
    epoch.put("commit", HexFormat.of().formatHex(new MlsMessage(MlsMessage.MLS10,
        new PublicMessage(commit.content(), signature, commit.confirmationTag(), commit.membershipTag())).toBytes()));
    Path damaged = dir.resolve("damaged.json");
    JsonMapper.shared().writeValue(damaged.toFile(), cases);

    Cli cli = Cli.run("mls", "conformance", damaged.toString());
    assertEquals(1, cli.status(), cli.out() + cli.err());
    assertEquals("", cli.err());
    int suite = cases.get(17).get("cipher_suite").intValue();
    long epochNumber = commit.content().epoch() + 1;
    List<String> lines = cli.out().lines().toList();
    assertTrue(lines.contains("case 17 suite " + suite + " epoch " + epochNumber + ": refused: SIGNATURE: the commit's"
        + " signature does not verify under the key of its sender, " + commit.content().sender()), cli.out());
    assertTrue(lines.contains("case 17 suite " + suite + " epoch " + (epochNumber + 1) + ": not checked: epoch "
        + epochNumber + " was refused"), cli.out());
    // The join and nothing more of case 17: two epochs fewer accepted, and their tampered copies not tried.
    assertEquals("271 of 273 epochs accepted, 271 tampered refused", lines.getLast());
  }

  @Test
  void jsonThatIsNotPassiveClientVectorsIsExitStatusTwo() throws IOException {
    assertUnreadable(Files.writeString(dir.resolve("object.json"), "{\"cipher_suite\": 1}"),
        "not a passive-client vector file: expected a JSON array of test cases");
    assertUnreadable(Files.writeString(dir.resolve("cases.json"), "[{\"cipher_suite\": 1, \"epochs\": []}]"),
        "case 0: key_package is missing or not a string: not a passive-client vector file");
    assertUnreadable(Files.writeString(dir.resolve("empty.json"), "[]"),
        "no test cases: not a passive-client vector file");
    assertUnreadable(vectorFile("messages.json"), "case 0: cipher_suite is missing or not an integer: "
        + "not a passive-client vector file");
  }

  @Test
  void aFileThatIsNotJsonOrIsMissingIsExitStatusTwo() throws IOException {
    Path text = Files.writeString(dir.resolve("vectors.json"), "0001 0005");
    Cli cli = Cli.run("mls", "conformance", text.toString());
    assertEquals(2, cli.status());
    assertEquals("", cli.out());
    assertTrue(cli.err().startsWith("error: " + text + ": not JSON: "), cli.err());

    Path missing = dir.resolve("no-such-vectors.json");
    cli = Cli.run("mls", "conformance", missing.toString());
    assertEquals(2, cli.status());
    assertEquals("error: cannot read " + missing + ": no such file" + System.lineSeparator(), cli.err());
  }

  private void assertUnreadable(Path file, String message) {
    Cli cli = Cli.run("mls", "conformance", file.toString());
    assertEquals(2, cli.status(), cli.out() + cli.err());
    assertEquals("", cli.out());
    assertEquals("error: " + file + ": " + message + System.lineSeparator(), cli.err());
  }

  /** A vector file of the mls module's test resources, copied to a file as a user would have it. */
  private Path vectorFile(String name) throws IOException {
    try (InputStream in = MlsConformanceCommandTest.class.getResourceAsStream("/mls-test-vectors/" + name)) {
      return Files.write(dir.resolve(name), in.readAllBytes());
    }
  }
}
