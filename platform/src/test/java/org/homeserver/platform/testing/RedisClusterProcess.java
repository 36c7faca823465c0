package org.homeserver.platform.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * A Redis Cluster of a test's own: three masters (redis-server from the PATH, on free loopback
 * ports, no replicas, nothing kept on disk but nodes.conf in a temporary directory), made with
 * {@code redis-cli --cluster create}. Slots can be moved between masters during a test, keys
 * and all, as an operator's resharding would. Every server's and every redis-cli's output goes to
 * one log file, shown in failure messages.
 */
public final class RedisClusterProcess implements AutoCloseable {
  private static final int MASTERS = 3;
  private static final Duration SETTLE_TIMEOUT = Duration.ofSeconds(30);
  private final Path dir;
  private final Path log;
  private final List<Integer> ports = new ArrayList<>();
  private final List<Process> servers = new ArrayList<>();

  private RedisClusterProcess() throws IOException {
    this.dir = Files.createTempDirectory("redis-cluster");
    this.log = dir.resolve("cluster.log");
  }

  /** Starts three empty masters, joins them into one cluster (slots split evenly, in port order) and waits until it is ok. */
  public static RedisClusterProcess start() throws IOException, InterruptedException {
    RedisClusterProcess cluster = new RedisClusterProcess();
    try {
      for (int i = 0; i < MASTERS; i++) {
        cluster.startServer(i);
      }
      List<String> create = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
      cluster.ports.forEach(port -> create.add("127.0.0.1:" + port));
      create.addAll(List.of("--cluster-replicas", "0", "--cluster-yes"));
      cluster.run(create);
      cluster.awaitSettled();
      return cluster;
    } catch (IOException | InterruptedException | RuntimeException | AssertionError e) {
      cluster.close();
      throw e;
    }
  }

  /** The seed list for {@code redis.url} with {@code redis.cluster=true}: {@code redis://127.0.0.1:p1,redis://127.0.0.1:p2,...}. */
  public String url() {
    return ports.stream().map(port -> "redis://127.0.0.1:" + port).collect(Collectors.joining(","));
  }

  /** The port of master {@code index} (0, 1 or 2). */
  public int port(int index) {
    return ports.get(index);
  }

  /** The slots master {@code index} serves now, as it says itself. */
  public Set<Integer> slotsOf(int index) throws IOException, InterruptedException {
    String id = nodeId(index);
    Set<Integer> slots = new TreeSet<>();
    for (String line : cli(index, "cluster", "nodes").split("\n")) {
      String[] fields = line.trim().split(" ");
      if (fields[0].equals(id)) {
        for (String range : Arrays.copyOfRange(fields, 8, fields.length)) {
          if (range.startsWith("[")) {
            continue;   // a slot being migrated or imported
          }
          String[] ends = range.split("-");
          int first = Integer.parseInt(ends[0]);
          int last = Integer.parseInt(ends[ends.length - 1]);
          IntStream.rangeClosed(first, last).forEach(slots::add);
        }
      }
    }
    return slots;
  }

  /**
   * Moves the {@code count} lowest-numbered slots of master {@code from} to master {@code to} with
   * {@code redis-cli --cluster reshard} (their keys move along), and waits until every master agrees
   * on the new layout and the cluster is ok.
   */
  public void moveSlots(int count, int from, int to) throws IOException, InterruptedException {
    run(List.of("redis-cli", "--cluster", "reshard", "127.0.0.1:" + ports.get(from),
        "--cluster-from", nodeId(from), "--cluster-to", nodeId(to), "--cluster-slots", Integer.toString(count),
        "--cluster-yes"));
    awaitSettled();
  }

  /** The master that serves {@code key}'s slot. */
  public int masterOf(String key) throws IOException, InterruptedException {
    int slot = Integer.parseInt(cli(0, "cluster", "keyslot", key));
    for (int i = 0; i < MASTERS; i++) {
      if (slotsOf(i).contains(slot)) {
        return i;
      }
    }
    throw new IllegalStateException("no master serves slot " + slot + "; log:\n" + logs());
  }

  /**
   * The slots of master {@code index} in use now: those of its sharded pub/sub channels that have
   * subscribers, and those of {@code keys} it serves.
   */
  public Set<Integer> slotsInUse(int index, List<String> keys) throws IOException, InterruptedException {
    Set<Integer> own = slotsOf(index);
    Set<Integer> used = new TreeSet<>();
    List<String> names = new ArrayList<>(keys);
    cli(index, "pubsub", "shardchannels").lines().filter(line -> !line.isBlank()).forEach(names::add);
    for (String name : names) {
      int slot = Integer.parseInt(cli(index, "cluster", "keyslot", name));
      if (own.contains(slot)) {
        used.add(slot);
      }
    }
    return used;
  }

  /**
   * Moves {@code slots} of master {@code from} to master {@code to} one by one, keys included, as
   * redis-cli's reshard does (IMPORTING and MIGRATING, MIGRATE of the keys, then the new owner told
   * to every master), and waits until every master agrees on the new layout and the cluster is ok.
   */
  public void moveSlots(Set<Integer> slots, int from, int to) throws IOException, InterruptedException {
    String fromId = nodeId(from);
    String toId = nodeId(to);
    for (int slot : slots) {
      String number = Integer.toString(slot);
      expectOk(cli(to, "cluster", "setslot", number, "importing", fromId));
      expectOk(cli(from, "cluster", "setslot", number, "migrating", toId));
      for (String keys; !(keys = cli(from, "cluster", "getkeysinslot", number, "100")).isBlank(); ) {
        List<String> migrate = new ArrayList<>(List.of("migrate", "127.0.0.1", Integer.toString(ports.get(to)), "", "0",
            "5000", "keys"));
        migrate.addAll(keys.lines().toList());
        expectOk(cli(from, migrate.toArray(String[]::new)));
      }
      // The new owner first, then the old one, then the rest: no master sends a client back and forth.
      List<Integer> order = new ArrayList<>(List.of(to, from));
      IntStream.range(0, MASTERS).filter(i -> i != to && i != from).forEach(order::add);
      for (int i : order) {
        expectOk(cli(i, "cluster", "setslot", number, "node", toId));
      }
    }
    awaitSettled();
  }

  private void expectOk(String reply) {
    if (!reply.equals("OK")) {
      throw new IllegalStateException("Redis answered " + reply + " while moving slots; log:\n" + logs());
    }
  }

  /** Moves every slot of master {@code from} to master {@code to}, as {@link #moveSlots} does. */
  public void moveAllSlots(int from, int to) throws IOException, InterruptedException {
    moveSlots(slotsOf(from).size(), from, to);
  }

  /** The server and redis-cli output so far, for a failure message. */
  public String logs() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(log " + log + " unreadable: " + e + ")";
    }
  }

  private void startServer(int index) throws IOException {
    int port = TestPorts.free();
    // The cluster bus port is named too: port + 10000, the default, may lie in the ephemeral range.
    int busPort = TestPorts.free();
    Path nodeDir = Files.createDirectories(dir.resolve("node-" + index));
    ports.add(port);
    servers.add(new ProcessBuilder(List.of("redis-server", "--port", Integer.toString(port),
        "--cluster-port", Integer.toString(busPort), "--bind", "127.0.0.1",
        "--cluster-enabled", "yes", "--cluster-config-file", nodeDir.resolve("nodes.conf").toString(),
        "--cluster-node-timeout", "5000", "--save", "", "--appendonly", "no", "--dir", nodeDir.toString()))
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start());
    until("redis-server " + index + " answers on port " + port, () -> {
      if (!servers.get(index).isAlive()) {
        throw new IllegalStateException("redis-server exited; log:\n" + logs());
      }
      return answers(() -> cli(index, "ping").equals("PONG"));
    });
  }

  /** Waits until every master says the cluster is ok and all of them see the same slot layout. */
  private void awaitSettled() {
    until("the cluster is ok and its masters agree on the slots", () -> answers(() -> {
          Set<String> layouts = new java.util.HashSet<>();
          for (int i = 0; i < MASTERS; i++) {
            if (!cli(i, "cluster", "info").contains("cluster_state:ok")) {
              return false;
            }
            layouts.add(layout(cli(i, "cluster", "nodes")));
          }
          return layouts.size() == 1;
        }));
  }

  /** {@link Eventually#until} with the log in the failure message, as it is when the wait gives up. */
  private void until(String what, java.util.function.BooleanSupplier condition) {
    try {
      Eventually.until(what, SETTLE_TIMEOUT, condition);
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "; log:\n" + logs(), e);
    }
  }

  /** Each node's id and slot ranges from CLUSTER NODES, without what differs by viewer (myself, pings, migrations). */
  private static String layout(String clusterNodes) {
    return clusterNodes.lines().map(line -> {
      String[] fields = line.trim().split(" ");
      String slots = Arrays.stream(fields).skip(8).filter(f -> !f.startsWith("[")).collect(Collectors.joining(" "));
      return fields[0] + " " + slots;
    }).sorted().collect(Collectors.joining("\n"));
  }

  private String nodeId(int index) throws IOException, InterruptedException {
    return cli(index, "cluster", "myid");
  }

  private String cli(int index, String... command) throws IOException, InterruptedException {
    List<String> line = new ArrayList<>(List.of("redis-cli", "-h", "127.0.0.1", "-p", Integer.toString(ports.get(index))));
    line.addAll(List.of(command));
    Process process = new ProcessBuilder(line).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    process.waitFor();
    return output;
  }

  /** Runs a redis-cli --cluster command to its end; its output goes to the log, and a failure shows the log. */
  private void run(List<String> command) throws IOException, InterruptedException {
    Files.writeString(log, "\n$ " + String.join(" ", command) + "\n", StandardCharsets.UTF_8,
        java.nio.file.StandardOpenOption.APPEND, java.nio.file.StandardOpenOption.CREATE);
    Process process = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    if (!process.waitFor(SETTLE_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new IllegalStateException(command.get(2) + " did not finish within " + SETTLE_TIMEOUT + "; log:\n" + logs());
    }
    if (process.exitValue() != 0) {
      throw new IllegalStateException(String.join(" ", command) + " failed; log:\n" + logs());
    }
  }

  private static boolean answers(Check check) {
    try {
      return check.holds();
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  private interface Check {
    boolean holds() throws IOException, InterruptedException;
  }

  /** Kills every server (SIGKILL) and removes the directory with their nodes.conf; the log file stays. */
  @Override
  public void close() {
    for (Process server : servers) {
      server.destroyForcibly();
    }
    for (Process server : servers) {
      try {
        server.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    try (var files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).filter(p -> !p.equals(log) && !p.equals(dir))
          .forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // Temporary files only.
    }
  }
}
