package org.homeserver.bench.load;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.MessageProperties;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Recorder;

/**
 * The anchor of the 1:1 figures: the same closed-loop workload through RabbitMQ with the same
 * durability as the homeserver's. Each sender has a durable queue of its own and a consumer on it;
 * it publishes a persistent message of the message size, waits for the broker's confirm (the broker
 * has it on disk), and publishes the next; the consumer acknowledges each message by hand. What
 * counts is confirmed messages per second and the time from publish to delivery.
 */
public final class RabbitMq {
  /** Senders per connection, as an application would spread its channels. */
  private static final int CHANNELS_PER_CONNECTION = 100;
  private static final long CONFIRM_TIMEOUT_MILLIS = 60_000;

  /** What RabbitMQ did: confirmed messages per second and publish-to-delivery latency (microseconds). */
  public record Result(double messagesPerSecond, org.HdrHistogram.Histogram latencyMicros, int senders, Duration duration,
                String version) {}

  private RabbitMq() {}

  /** Runs {@code senders} closed-loop senders for {@code duration} against the broker at {@code uri}. */
  public static Result run(String uri, int senders, int messageBytes, Duration duration) throws Exception {
    ConnectionFactory factory = new ConnectionFactory();
    factory.setUri(uri);
    String prefix = "hs-bench-" + UUID.randomUUID() + "-";
    List<Connection> connections = new ArrayList<>();
    Recorder latency = new Recorder(3);
    LongAdder confirmed = new LongAdder();
    try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Channel> publishers = new ArrayList<>();
      for (int i = 0; i < senders; i++) {
        if (i % CHANNELS_PER_CONNECTION == 0) {
          connections.add(factory.newConnection("bench-" + i / CHANNELS_PER_CONNECTION));
        }
        Connection connection = connections.getLast();
        String queue = prefix + i;
        Channel consumer = connection.createChannel();
        consumer.queueDeclare(queue, true, false, false, null);
        consumer.basicQos(100);
        consumer.basicConsume(queue, false, (tag, delivery) -> {
          long sentAt = ByteBuffer.wrap(delivery.getBody()).getLong();
          latency.recordValue(Math.max(0, (System.nanoTime() - sentAt) / 1_000));
          consumer.basicAck(delivery.getEnvelope().getDeliveryTag(), false);
        }, tag -> { });
        Channel publisher = connection.createChannel();
        publisher.confirmSelect();
        publishers.add(publisher);
      }
      long end = System.nanoTime() + duration.toNanos();
      long started = System.nanoTime();
      latency.reset();
      for (int i = 0; i < senders; i++) {
        Channel publisher = publishers.get(i);
        String queue = prefix + i;
        threads.execute(() -> {
          AMQP.BasicProperties persistent = MessageProperties.PERSISTENT_BASIC;
          byte[] body = new byte[messageBytes];
          try {
            while (System.nanoTime() < end) {
              ByteBuffer.wrap(body).putLong(System.nanoTime());
              publisher.basicPublish("", queue, persistent, body);
              publisher.waitForConfirmsOrDie(CONFIRM_TIMEOUT_MILLIS);
              confirmed.increment();
            }
          } catch (Exception e) {
            throw new IllegalStateException("publishing to " + queue + " failed", e);
          }
        });
      }
      threads.shutdown();
      threads.awaitTermination(duration.toSeconds() + 120, TimeUnit.SECONDS);
      double seconds = (System.nanoTime() - started) / 1e9;
      String version = String.valueOf(connections.getFirst().getServerProperties().get("version"));
      Channel cleanup = connections.getFirst().createChannel();
      for (int i = 0; i < senders; i++) {
        cleanup.queueDelete(prefix + i);
      }
      return new Result(confirmed.sum() / seconds, latency.getIntervalHistogram(), senders, duration, version);
    } finally {
      for (Connection connection : connections) {
        connection.close();
      }
    }
  }
}
