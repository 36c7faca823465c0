package org.homeserver.launcher;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Optional;

/**
 * A class-data archive (AppCDS) of a homeserver process's start, shared by the `serve` processes
 * the tests start: the first process of a test JVM writes it when it stops normally, and later
 * ones map it instead of loading and verifying each class again, which halves their start. The JVM
 * checks that an archive matches its classpath and ignores one that does not.
 */
final class ClassDataArchive {
  private static final Path ARCHIVE = Path.of("target", "homeserver-process.jsa").toAbsolutePath();
  /** The file a running process writes at its exit, if one does. */
  private static Path writing;

  /** The JVM options of a new process, and the file it writes at its exit if it is the one that does. */
  record Options(List<String> jvm, Optional<Path> writes) {}

  private ClassDataArchive() {}

  static synchronized Options next() {
    if (Files.exists(ARCHIVE)) {
      return new Options(List.of("-XX:SharedArchiveFile=" + ARCHIVE), Optional.empty());
    }
    if (writing != null) {
      return new Options(List.of(), Optional.empty());
    }
    writing = ARCHIVE.resolveSibling("homeserver-process-" + ProcessHandle.current().pid() + ".jsa.tmp");
    return new Options(List.of("-XX:ArchiveClassesAtExit=" + writing), Optional.of(writing));
  }

  /** After the writing process ended: its archive becomes the one to use, unless it was killed before writing it. */
  static synchronized void ended(Path written, boolean stoppedNormally) {
    try {
      if (stoppedNormally && Files.size(written) > 0) {
        Files.move(written, ARCHIVE, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } else {
        Files.deleteIfExists(written);
      }
    } catch (java.nio.file.NoSuchFileException notWritten) {
      // Killed before its exit wrote anything: the next process writes it.
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      writing = null;
    }
  }
}
