package org.homeserver.platform.signal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link Signals} implementation must have. Subclasses say how to make one
 * instance and a second one that stands for another process on the same medium.
 */
abstract class SignalsContract {
  private static final long WAIT_SECONDS = 5;
  protected Signals first;
  protected Signals second;
  private final List<AutoCloseable> toClose = new ArrayList<>();

  /** The instance under test. */
  protected abstract Signals create();

  /** Another instance on the same medium (another process, for Redis). */
  protected abstract Signals peerOf(Signals first);

  @BeforeEach
  void open() {
    first = create();
    second = peerOf(first);
  }

  /** Closes {@code resource} after the test, after every subscription made later. */
  protected void closeAfterwards(AutoCloseable resource) {
    toClose.add(resource);
  }

  @AfterEach
  void closeAll() throws Exception {
    second.close();
    first.close();
    for (AutoCloseable c : toClose.reversed()) {
      c.close();
    }
  }

  private BlockingQueue<byte[]> listen(Signals signals, String channel) {
    BlockingQueue<byte[]> received = new LinkedBlockingQueue<>();
    toClose.add(signals.subscribe(channel, received::add));
    return received;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void publishedMessageReachesSubscriberOfAnotherInstance() throws InterruptedException {
    BlockingQueue<byte[]> received = listen(second, "queue.1");
    first.publish("queue.1", bytes("hello"));
    assertArrayEquals(bytes("hello"), received.poll(WAIT_SECONDS, TimeUnit.SECONDS));
  }

  @Test
  void everySubscriberOfAChannelReceivesEachMessageOnce() throws InterruptedException {
    BlockingQueue<byte[]> a = listen(first, "c");
    BlockingQueue<byte[]> b = listen(second, "c");
    BlockingQueue<byte[]> c = listen(second, "c");
    first.publish("c", bytes("x"));
    for (BlockingQueue<byte[]> q : List.of(a, b, c)) {
      assertArrayEquals(bytes("x"), q.poll(WAIT_SECONDS, TimeUnit.SECONDS));
    }
    first.publish("c", bytes("marker"));
    for (BlockingQueue<byte[]> q : List.of(a, b, c)) {
      assertArrayEquals(bytes("marker"), q.poll(WAIT_SECONDS, TimeUnit.SECONDS), "no duplicate before the marker");
    }
  }

  @Test
  void messagesOnOtherChannelsAreNotDelivered() throws InterruptedException {
    BlockingQueue<byte[]> mine = listen(second, "mine");
    first.publish("other", bytes("not for you"));
    first.publish("mine", bytes("for you"));
    assertArrayEquals(bytes("for you"), mine.poll(WAIT_SECONDS, TimeUnit.SECONDS));
    assertNull(mine.poll(200, TimeUnit.MILLISECONDS));
  }

  @Test
  void messagesFromOnePublisherArriveInOrder() throws InterruptedException {
    BlockingQueue<byte[]> received = listen(second, "ordered");
    for (int i = 0; i < 200; i++) {
      first.publish("ordered", bytes(Integer.toString(i)));
    }
    for (int i = 0; i < 200; i++) {
      byte[] next = received.poll(WAIT_SECONDS, TimeUnit.SECONDS);
      assertEquals(Integer.toString(i), next == null ? null : new String(next, StandardCharsets.UTF_8));
    }
  }

  @Test
  void closedSubscriptionReceivesNothingMore() throws InterruptedException {
    BlockingQueue<byte[]> received = new LinkedBlockingQueue<>();
    Signals.Subscription subscription = second.subscribe("closing", received::add);
    BlockingQueue<byte[]> witness = listen(second, "closing");
    first.publish("closing", bytes("1"));
    assertArrayEquals(bytes("1"), received.poll(WAIT_SECONDS, TimeUnit.SECONDS));
    subscription.close();
    first.publish("closing", bytes("2"));
    assertArrayEquals(bytes("1"), witness.poll(WAIT_SECONDS, TimeUnit.SECONDS));
    assertArrayEquals(bytes("2"), witness.poll(WAIT_SECONDS, TimeUnit.SECONDS), "the other listener still hears");
    assertNull(received.poll(200, TimeUnit.MILLISECONDS), "the closed one does not");
  }

  @Test
  void binaryPayloadsArriveUnchanged() throws InterruptedException {
    byte[] payload = new byte[256];
    for (int i = 0; i < payload.length; i++) {
      payload[i] = (byte) i;
    }
    BlockingQueue<byte[]> received = listen(second, "binary");
    first.publish("binary", payload);
    assertArrayEquals(payload, received.poll(WAIT_SECONDS, TimeUnit.SECONDS));
  }

  @Test
  void aFailingListenerDoesNotStopTheOthers() throws InterruptedException {
    toClose.add(second.subscribe("fragile", m -> {
      throw new IllegalStateException("listener bug");
    }));
    BlockingQueue<byte[]> healthy = listen(second, "fragile");
    first.publish("fragile", bytes("a"));
    first.publish("fragile", bytes("b"));
    assertArrayEquals(bytes("a"), healthy.poll(WAIT_SECONDS, TimeUnit.SECONDS));
    assertArrayEquals(bytes("b"), healthy.poll(WAIT_SECONDS, TimeUnit.SECONDS));
  }

  @Test
  void reportsHealthy() {
    assertEquals(true, first.healthy());
  }
}
