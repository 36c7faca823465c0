package org.homeserver.bench.compare;

import java.time.Duration;
import java.util.List;
import java.util.TreeSet;
import org.homeserver.bench.load.Pacing;
import org.homeserver.bench.load.Plan;
import org.homeserver.bench.load.Scenario;

/**
 * What one comparison measures: the 1:1 curve at {@code pairs} (pairs of clients, every client
 * sending to its partner in a closed loop), the group curve at {@code groupSizes} (members per
 * group, {@link #GROUP_SENDERS} senders), each phase sending for {@code warmup} and then measuring
 * for {@code duration}; pgbench and RabbitMQ run for {@code duration} at each point.
 */
record ComparisonPlan(List<Integer> pairs, List<Integer> groupSizes, Duration warmup, Duration duration,
                      int messageBytes) {
  /** The 1:1 figures are taken at 100 pairs: 200 clients, all sending, as in bench/README's "Against RabbitMQ". */
  static final int COMPARED_PAIRS = 100;
  /** The group figure is taken in a group of 1,000 members. */
  static final int COMPARED_GROUP_SIZE = 1_000;
  /** Senders at every group size, as in bench/load's big-group scenario. */
  static final int GROUP_SENDERS = 10;
  /** The open-loop rate at which the p99 latency is taken, messages/s in all, at {@link #COMPARED_PAIRS}. */
  static final double OPEN_LOOP_RATE = 1_000;
  /** The idle Listen streams whose heap is measured. */
  static final int IDLE_STREAMS = 10_000;

  ComparisonPlan {
    // The headline figures are taken at these points, so they are always measured.
    pairs = withPoint(pairs, COMPARED_PAIRS);
    groupSizes = withPoint(groupSizes, COMPARED_GROUP_SIZE);
    if (pairs.getFirst() < 1) {
      throw new IllegalArgumentException("--pairs must be at least 1");
    }
    if (groupSizes.getFirst() < 2) {
      throw new IllegalArgumentException("--group-sizes must be at least 2");
    }
  }

  /** The full comparison: four 1:1 points, five group sizes, 20 s windows after 5 s of warm-up. */
  static ComparisonPlan full(int messageBytes) {
    return new ComparisonPlan(List.of(10, 50, 100, 200), List.of(2, 10, 100, 1_000, 5_000),
        Duration.ofSeconds(5), Duration.ofSeconds(20), messageBytes);
  }

  /** The quick comparison: three 1:1 points, three group sizes, 5 s windows after 2 s of warm-up. */
  static ComparisonPlan quick(int messageBytes) {
    return new ComparisonPlan(List.of(10, 50, 100), List.of(2, 100, 1_000),
        Duration.ofSeconds(2), Duration.ofSeconds(5), messageBytes);
  }

  /**
   * Groups of a size: one, or below {@link #GROUP_SENDERS} members as many as it takes for that
   * many senders (5 groups of 2), so every size is measured with the same concurrency.
   */
  static int groupsOf(int size) {
    return Math.ceilDiv(GROUP_SENDERS, Math.min(size, GROUP_SENDERS));
  }

  /** bench/load's plan of one 1:1 point: {@code pairs} groups of two, every client a sender. */
  Plan pairsPlan(int pairs, Pacing pacing) {
    int clients = 2 * pairs;
    return new Plan(Scenario.ONE_TO_ONE, clients, 2, clients, messageBytes, pacing, warmup, duration, clients,
        0, 0, 0);
  }

  /** bench/load's plan of one group size: {@link #groupsOf} groups, {@link #GROUP_SENDERS} senders, closed loop. */
  Plan groupPlan(int size) {
    int clients = groupsOf(size) * size;
    return new Plan(Scenario.BIG_GROUP, clients, size, GROUP_SENDERS, messageBytes, new Pacing.Closed(), warmup,
        duration, clients, 0, 0, 0);
  }

  /** bench/load's plan of the idle-listen run: {@link #IDLE_STREAMS} clients, each on a connection of its own. */
  Plan idlePlan() {
    return new Plan(Scenario.IDLE_LISTEN, IDLE_STREAMS, 0, 0, messageBytes, new Pacing.Closed(), warmup, duration,
        IDLE_STREAMS, 0, 0, 0);
  }

  private static List<Integer> withPoint(List<Integer> points, int point) {
    TreeSet<Integer> sorted = new TreeSet<>(points);
    sorted.add(point);
    return List.copyOf(sorted);
  }
}
