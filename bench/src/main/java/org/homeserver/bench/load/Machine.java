package org.homeserver.bench.load;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** The machine a run took place on, as the summary names it. */
public record Machine(int cores, long memoryBytes, String cpu, String jdk, String os) {
  public static Machine current() {
    return new Machine(Runtime.getRuntime().availableProcessors(), totalMemory(), cpuModel(),
        System.getProperty("java.vm.vendor") + " " + System.getProperty("java.runtime.version"),
        System.getProperty("os.name") + " " + System.getProperty("os.version"));
  }

  private static long totalMemory() {
    return procLine("/proc/meminfo", "MemTotal:")
        .map(line -> Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024)
        .orElse(-1L);
  }

  private static String cpuModel() {
    return procLine("/proc/cpuinfo", "model name").map(line -> line.substring(line.indexOf(':') + 1).strip())
        .orElse(System.getProperty("os.arch"));
  }

  private static Optional<String> procLine(String file, String prefix) {
    try {
      List<String> lines = Files.readAllLines(Path.of(file));
      return lines.stream().filter(l -> l.startsWith(prefix)).findFirst();
    } catch (IOException | RuntimeException notLinux) {
      return Optional.empty();
    }
  }
}
