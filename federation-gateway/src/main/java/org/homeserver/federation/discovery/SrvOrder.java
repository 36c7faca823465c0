package org.homeserver.federation.discovery;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.random.RandomGenerator;

/** The order to try SRV targets in (RFC 2782): lowest priority first, weighted random within a priority. */
final class SrvOrder {
  private SrvOrder() {}

  static List<SrvRecord> order(List<SrvRecord> records, RandomGenerator random) {
    Map<Integer, List<SrvRecord>> byPriority = new TreeMap<>();
    for (SrvRecord record : records) {
      byPriority.computeIfAbsent(record.priority(), p -> new ArrayList<>()).add(record);
    }
    List<SrvRecord> ordered = new ArrayList<>();
    for (List<SrvRecord> samePriority : byPriority.values()) {
      ordered.addAll(byWeight(samePriority, random));
    }
    return ordered;
  }

  // RFC 2782's selection: zero weights first in the list, then repeatedly draw from 0 to the sum of the
  // remaining weights and take the first record whose running sum reaches the draw. A zero weight thus
  // still has a small chance to go first, as the RFC wants.
  private static List<SrvRecord> byWeight(List<SrvRecord> samePriority, RandomGenerator random) {
    List<SrvRecord> left = new ArrayList<>(samePriority);
    left.sort(Comparator.comparing(record -> record.weight() != 0));
    List<SrvRecord> ordered = new ArrayList<>();
    while (!left.isEmpty()) {
      int total = left.stream().mapToInt(SrvRecord::weight).sum();
      int draw = random.nextInt(total + 1);
      int running = 0;
      for (int i = 0; i < left.size(); i++) {
        running += left.get(i).weight();
        if (running >= draw) {
          ordered.add(left.remove(i));
          break;
        }
      }
    }
    return ordered;
  }
}
