package org.homeserver.platform.signal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.RedisException;
import io.lettuce.core.cluster.SlotHash;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;
import org.homeserver.platform.testing.Eventually;
import org.homeserver.platform.testing.RedisClusterProcess;
import org.junit.jupiter.api.Test;

/**
 * Slots of subscribed channels move to another master while signals are published: Redis drops
 * those subscriptions, signals say they may be lost until each is made again at the new owner,
 * and then the subscribers hear every signal again.
 */
class RedisClusterReshardTest {
  private static final String NAMESPACE = "reshard:";
  private static final int MOVED_SLOTS = 50;
  private static final Duration SETTLE = Duration.ofSeconds(10);

  @Test
  void subscribersHearSignalsAgainAfterTheSlotsOfTheirChannelsMoveToAnotherMaster() throws Exception {
    try (RedisClusterProcess cluster = RedisClusterProcess.start();
         Redis mine = Redis.connectCluster(cluster.url(), NAMESPACE);
         Redis other = Redis.connectCluster(cluster.url(), NAMESPACE)) {
      // moveSlots moves the lowest-numbered slots of master 0; two channels there, one elsewhere.
      Set<Integer> moving = Set.copyOf(cluster.slotsOf(0).stream().limit(MOVED_SLOTS).toList());
      List<String> movingChannels = channels(moving, true, 2);
      String staying = channels(moving, false, 1).getFirst();
      RedisSignals signals = new RedisSignals(mine);
      RedisSignals publisher = new RedisSignals(other);
      List<String> heard = new CopyOnWriteArrayList<>();
      for (String channel : List.of(movingChannels.get(0), movingChannels.get(1), staying)) {
        signals.subscribe(channel, m -> heard.add(channel + ":" + new String(m, StandardCharsets.UTF_8)));
      }
      assertTrue(signals.reliable());

      AtomicBoolean moved = new AtomicBoolean();
      AtomicBoolean sawUnreliable = new AtomicBoolean();
      Thread during = Thread.ofVirtual().start(() -> {
        int n = 0;
        while (!moved.get()) {
          try {
            // Published all along (some are lost while a subscription is made again, as signals may be),
            // each waiting for Redis, so that none is still on its way after the move.
            other.sync().spublish(other.key(movingChannels.get(n++ % 2)), "during".getBytes(StandardCharsets.UTF_8));
          } catch (RedisException e) {
            // A slot in flight may refuse a command once; the signal is lost, as it may be.
          }
          if (!signals.reliable()) {
            sawUnreliable.set(true);
          }
        }
      });
      cluster.moveSlots(MOVED_SLOTS, 0, 1);
      Eventually.until("the moved subscriptions are confirmed at master 1", SETTLE, signals::reliable);
      moved.set(true);
      during.join();
      assertTrue(sawUnreliable.get(), "signals said they may be lost while the subscriptions moved");
      assertFalse(cluster.slotsOf(0).contains(SlotHash.getSlot(NAMESPACE + movingChannels.getFirst())));

      heard.clear();
      for (String channel : List.of(movingChannels.get(0), movingChannels.get(1), staying)) {
        publisher.publish(channel, "after".getBytes(StandardCharsets.UTF_8));
      }
      Eventually.until("every subscription hears the signals published after the move", SETTLE,
          () -> heard.stream().filter(h -> h.endsWith(":after")).count() == 3);
      assertEquals(Set.of(movingChannels.get(0) + ":after", movingChannels.get(1) + ":after", staying + ":after"),
          Set.copyOf(heard.stream().filter(h -> h.endsWith(":after")).toList()));
    }
  }

  /** {@code count} channel names whose namespaced key's slot is in {@code slots} (or, if not {@code inside}, is not). */
  private static List<String> channels(Set<Integer> slots, boolean inside, int count) {
    return IntStream.iterate(0, i -> i + 1).mapToObj(i -> "queue." + i)
        .filter(name -> slots.contains(SlotHash.getSlot(NAMESPACE + name)) == inside)
        .limit(count).toList();
  }
}
