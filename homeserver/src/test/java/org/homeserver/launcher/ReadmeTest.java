package org.homeserver.launcher;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The README's promises that code can check. */
class ReadmeTest {
  private static String readme() throws Exception {
    return Files.readString(Path.of("..", "README.md"));
  }

  @Test
  void configurationReferenceIsTheOneTheCodeHas() throws Exception {
    assertTrue(readme().contains(Main.referenceTable()),
        "README.md's configuration reference differs from `bin/homeserver config-reference`:\n" + Main.referenceTable());
  }

  @Test
  void theTwoCommandsAreTheOnesCiAndTheScriptsUse() throws Exception {
    String readme = readme();
    assertTrue(readme.contains("\n./bin/homeserver serve --domain example.org "));
    assertTrue(readme.contains("\n./bin/test "));
    assertTrue(Files.readString(Path.of("..", ".ci", "run")).lines().anyMatch(l -> l.equals("./bin/test")),
        ".ci/run runs the README's test command");
  }
}
