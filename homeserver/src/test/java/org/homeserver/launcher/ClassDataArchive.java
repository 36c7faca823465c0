package org.homeserver.launcher;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

/**
 * How the `serve` processes the tests start are launched fast: a class-data archive (AppCDS) of a
 * process's start, which the first process of this test JVM writes when it stops normally and
 * later ones map instead of loading and verifying each class again (a start takes half the time).
 * The JVM archives classes only from jars, so the processes run the homeserver's own classes from
 * a jar made of target/classes, beside the jars of the test classpath (the test classes are not
 * needed). Each test JVM makes its own jar and archive: the JVM ignores an archive whose jars changed.
 */
final class ClassDataArchive {
  private static final String FORK = System.getProperty("homeserver.test.fork", "1");
  private static final Path JAR = Path.of("target", "homeserver-process-" + FORK + ".jar").toAbsolutePath();
  private static final Path ARCHIVE = Path.of("target", "homeserver-process-" + FORK + ".jsa").toAbsolutePath();
  /** The archive's own notes (classes it leaves out) would read as the process's warnings; its errors stay. */
  private static final String QUIET = "-Xlog:cds*=error";
  private static String classpath;
  /** The file a running process writes at its exit, if one does. */
  private static Path writing;

  /** A new process's JVM options and classpath, and the file it writes at its exit if it is the one that does. */
  record Launch(List<String> jvm, String classpath, Optional<Path> writes) {}

  private ClassDataArchive() {}

  static synchronized Launch next() {
    String path = classpath();
    if (Files.exists(ARCHIVE)) {
      return new Launch(List.of(QUIET, "-XX:SharedArchiveFile=" + ARCHIVE), path, Optional.empty());
    }
    if (writing != null) {
      return new Launch(List.of(), path, Optional.empty());
    }
    writing = ARCHIVE.resolveSibling(ARCHIVE.getFileName() + ".tmp");
    return new Launch(List.of(QUIET, "-XX:ArchiveClassesAtExit=" + writing), path, Optional.of(writing));
  }

  /** After the writing process ended: its archive becomes the one to use, unless it was killed before writing it. */
  static synchronized void ended(Path written, boolean stoppedNormally) {
    try {
      if (stoppedNormally && Files.exists(written) && Files.size(written) > 0) {
        Files.move(written, ARCHIVE, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } else {
        Files.deleteIfExists(written);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      writing = null;
    }
  }

  /** The test classpath with target/classes as a jar and without the test classes; made once per test JVM. */
  private static String classpath() {
    if (classpath != null) {
      return classpath;
    }
    List<String> entries = new ArrayList<>();
    try {
      Files.deleteIfExists(ARCHIVE);   // a previous test JVM's, for a jar that is made again now
      for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
        Path path = Path.of(entry);
        if (!Files.isDirectory(path)) {
          entries.add(entry);
        } else if (path.endsWith(Path.of("target", "classes"))) {
          jar(path, JAR);
          entries.add(JAR.toString());
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    classpath = String.join(File.pathSeparator, entries);
    return classpath;
  }

  private static void jar(Path classes, Path jar) throws IOException {
    try (OutputStream out = Files.newOutputStream(jar); JarOutputStream jarOut = new JarOutputStream(out);
         Stream<Path> files = Files.walk(classes)) {
      for (Path file : files.filter(Files::isRegularFile).sorted().toList()) {
        jarOut.putNextEntry(new JarEntry(classes.relativize(file).toString().replace(File.separatorChar, '/')));
        Files.copy(file, jarOut);
        jarOut.closeEntry();
      }
    }
  }
}
