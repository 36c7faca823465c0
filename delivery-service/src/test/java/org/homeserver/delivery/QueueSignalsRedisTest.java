package org.homeserver.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.homeserver.platform.signal.Redis;
import org.homeserver.platform.signal.RedisSignals;
import org.homeserver.platform.signal.Signals;
import org.homeserver.platform.testing.TestRedis;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Queue signals through a real Redis (single or cluster), heard by a second connection standing for another process. */
class QueueSignalsRedisTest {

  @ParameterizedTest
  @EnumSource(TestRedis.Topology.class)
  void anotherProcessHearsTheSignalAfterTheEntryIsCommitted(TestRedis.Topology topology) throws InterruptedException {
    try (Redis senderSide = TestRedis.connect(topology);
         Redis listenerSide = TestRedis.connectBeside(senderSide);
         QueueFixture f = QueueFixture.start(new RedisSignals(senderSide), QueueLimits.DEFAULTS, 4)) {
      UUID client = UUID.randomUUID();
      BlockingQueue<String> heard = new LinkedBlockingQueue<>();
      Signals.Subscription subscription = new QueueSignals(new RedisSignals(listenerSide)).subscribe(client, highest -> {
        QueuePage page = f.fetch(client, highest - 1, 1);
        heard.add(highest + ":" + (page.entries().isEmpty() ? "missing" : QueueFixture.textOf(page.entries().getFirst())));
      });
      try {
        f.send("g", "first", client);
        f.send("g", "second", client, UUID.randomUUID());

        assertEquals("1:first", heard.poll(5, TimeUnit.SECONDS));
        assertEquals("2:second", heard.poll(5, TimeUnit.SECONDS));
      } finally {
        subscription.close();
      }
    }
  }
}
