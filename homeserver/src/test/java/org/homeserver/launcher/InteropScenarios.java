package org.homeserver.launcher;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * interop/'s scenarios, ts-mls clients (an MLS implementation independent of ours), each in a node
 * process of its own and all at once: they wait on round trips far more than on the processor.
 * Needs Node.js 20 or later and `npm ci` in interop/ (bin/test runs it).
 */
final class InteropScenarios {
  static final Path DIR = Path.of("..", "interop").toAbsolutePath().normalize();
  /** How long each scenario may take. */
  private static final Duration LIMIT = Duration.ofMinutes(5);

  private final List<String> names;
  private final List<Process> running = new ArrayList<>();
  private final List<Path> outputs = new ArrayList<>();
  /** A permit for each scenario that ended. */
  private final Semaphore ended = new Semaphore(0);

  private InteropScenarios(List<String> names) {
    this.names = names;
  }

  /** Starts {@code scenarios}, each with run.mjs's {@code arguments} (the targets, TLS). */
  static InteropScenarios start(List<String> arguments, List<String> scenarios) throws IOException {
    assertTrue(Files.isDirectory(DIR.resolve("node_modules")),
        "interop/node_modules is missing: run `npm ci` in interop/ (bin/test does)");
    InteropScenarios started = new InteropScenarios(scenarios);
    for (String scenario : scenarios) {
      Path output = Files.createTempFile("interop-" + scenario, ".log");
      List<String> command = new ArrayList<>(List.of("node", "run.mjs"));
      command.addAll(arguments);
      command.addAll(List.of("--scenario", scenario));
      Process node = new ProcessBuilder(command).directory(DIR.toFile()).redirectErrorStream(true)
          .redirectOutput(output.toFile()).start();
      node.onExit().thenRun(started.ended::release);
      started.running.add(node);
      started.outputs.add(output);
    }
    return started;
  }

  /** Waits until one more scenario has ended than this method has waited for before. */
  void awaitNextEnd() throws InterruptedException {
    assertTrue(ended.tryAcquire(LIMIT.toSeconds(), TimeUnit.SECONDS), "no scenario ended in " + LIMIT);
  }

  /** Whether {@code scenario} is still running. */
  boolean running(String scenario) {
    return running.get(names.indexOf(scenario)).isAlive();
  }

  /** Waits for every scenario, prints what each printed, and fails unless each passed in time. */
  void assertAllPass() throws IOException, InterruptedException {
    StringBuilder failures = new StringBuilder();
    for (int i = 0; i < running.size(); i++) {
      Process node = running.get(i);
      boolean finished = node.waitFor(LIMIT.toSeconds(), TimeUnit.SECONDS);
      if (!finished) {
        node.destroyForcibly().waitFor();
      }
      String printed = Files.readString(outputs.get(i));
      System.out.print(printed);
      if (!finished || node.exitValue() != 0) {
        failures.append(finished ? "" : names.get(i) + " did not finish in " + LIMIT + "\n").append(printed);
      }
    }
    assertTrue(failures.isEmpty(), "a scenario failed:\n" + failures);
  }
}
