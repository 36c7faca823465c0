package org.homeserver.bench.compare;

import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.MessageProperties;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;

/**
 * The anchor of the group curve: the homeserver's fan-out through RabbitMQ with the same
 * durability. Every member of a group has a durable queue with a consumer that acknowledges each
 * message by hand. Each sender publishes to a durable fanout exchange of its own, bound to the
 * queues of the other members of its group, so a message reaches size - 1 queues as a Send reaches
 * size - 1 recipients; it publishes a persistent message, waits for the broker's confirm (every
 * queue has it on disk) and publishes the next. Senders are spread over the groups as bench/load
 * spreads them.
 */
final class RabbitMqFanout {
  /** Channels per connection, as an application would spread them (RabbitMQ allows 2,047 by default). */
  private static final int CHANNELS_PER_CONNECTION = 100;
  /** Unacknowledged messages a consumer may hold, as bench/load's RabbitMq allows. */
  private static final int PREFETCH = 100;
  private static final long CONFIRM_TIMEOUT_MILLIS = 120_000;
  /**
   * Declaring a queue or a binding is a round trip and a durable write on the broker; this many
   * channels declare side by side (4 times faster than one on this machine).
   */
  private static final int DECLARING_CHANNELS = 10;

  /**
   * What RabbitMQ did while the window was open: messages confirmed and deliveries consumed, per
   * second; and how long declaring the queues, exchanges and bindings took.
   */
  record Result(double messagesPerSecond, double deliveriesPerSecond, int groups, int groupSize, int senders,
                Duration window, Duration setUp, String version) {}

  /** A queue bound to an exchange. */
  private record Binding(String queue, String exchange) {}

  private RabbitMqFanout() {}

  /**
   * Runs {@code senders} closed-loop senders into {@code groups} groups of {@code groupSize} for
   * {@code warmup} and then the measured {@code window}, and deletes every queue and exchange it
   * declared.
   */
  static Result run(String uri, int groups, int groupSize, int senders, int messageBytes, Duration warmup,
      Duration window) throws Exception {
    ConnectionFactory factory = new ConnectionFactory();
    factory.setUri(uri);
    String prefix = "hs-bench-fanout-" + UUID.randomUUID() + "-";
    List<String> queues = new ArrayList<>();
    for (int member = 0; member < groups * groupSize; member++) {
      queues.add(prefix + "q" + member);
    }
    List<String> exchanges = new ArrayList<>();
    List<Binding> bindings = new ArrayList<>();
    for (int sender = 0; sender < senders; sender++) {
      // The sender's member, as bench/load's Senders.choose picks it: the groups in turn, then the next member.
      int group = sender % groups;
      int member = group * groupSize + sender / groups;
      String exchange = prefix + "x" + sender;
      exchanges.add(exchange);
      for (int other = group * groupSize; other < (group + 1) * groupSize; other++) {
        if (other != member) {
          bindings.add(new Binding(queues.get(other), exchange));
        }
      }
    }

    List<Connection> connections = new ArrayList<>();
    LongAdder delivered = new LongAdder();
    LongAdder confirmed = new LongAdder();
    try {
      long setUpStart = System.nanoTime();
      Connection admin = factory.newConnection("bench-fanout-admin");
      connections.add(admin);
      onChannels(admin, queues, (channel, queue) -> channel.queueDeclare(queue, true, false, false, null));
      onChannels(admin, exchanges, (channel, exchange) -> channel.exchangeDeclare(exchange, BuiltinExchangeType.FANOUT, true));
      onChannels(admin, bindings, (channel, binding) -> channel.queueBind(binding.queue(), binding.exchange(), ""));
      for (int member = 0; member < queues.size(); member++) {
        String queue = queues.get(member);
        Channel consumer = channel(factory, connections, member);
        consumer.basicQos(PREFETCH);
        consumer.basicConsume(queue, false, (tag, delivery) -> {
          delivered.increment();
          consumer.basicAck(delivery.getEnvelope().getDeliveryTag(), false);
        }, tag -> { });
      }
      List<Channel> publishers = new ArrayList<>();
      for (int sender = 0; sender < senders; sender++) {
        Channel publisher = channel(factory, connections, queues.size() + sender);
        publisher.confirmSelect();
        publishers.add(publisher);
      }
      Duration setUp = Duration.ofNanos(System.nanoTime() - setUpStart);

      long start = System.nanoTime() + warmup.toNanos();
      long end = start + window.toNanos();
      long deliveredAtStart;
      long confirmedAtStart;
      long deliveredAtEnd;
      long confirmedAtEnd;
      try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
        for (int sender = 0; sender < senders; sender++) {
          Channel publisher = publishers.get(sender);
          String exchange = exchanges.get(sender);
          threads.submit(() -> {
            byte[] body = new byte[messageBytes];
            while (System.nanoTime() < end) {
              publisher.basicPublish(exchange, "", MessageProperties.PERSISTENT_BASIC, body);
              publisher.waitForConfirmsOrDie(CONFIRM_TIMEOUT_MILLIS);
              confirmed.increment();
            }
            return null;
          });
        }
        // The window's figures are what the counters gained while it was open.
        sleepUntil(start);
        deliveredAtStart = delivered.sum();
        confirmedAtStart = confirmed.sum();
        sleepUntil(end);
        deliveredAtEnd = delivered.sum();
        confirmedAtEnd = confirmed.sum();
      }
      double seconds = window.toNanos() / 1e9;
      return new Result((confirmedAtEnd - confirmedAtStart) / seconds, (deliveredAtEnd - deliveredAtStart) / seconds,
          groups, groupSize, senders, window, setUp, String.valueOf(admin.getServerProperties().get("version")));
    } finally {
      deleteAll(connections, exchanges, queues);
      connections.forEach(Connection::abort);
    }
  }

  /**
   * The {@code n}th channel of the consumers and publishers (consumers first), on connection
   * {@code 1 + n / CHANNELS_PER_CONNECTION}, which opens with its first channel; connection 0 declares.
   */
  private static Channel channel(ConnectionFactory factory, List<Connection> connections, int n)
      throws IOException, TimeoutException {
    int connection = 1 + n / CHANNELS_PER_CONNECTION;
    if (connection == connections.size()) {
      connections.add(factory.newConnection("bench-fanout-" + connection));
    }
    return connections.get(connection).createChannel();
  }

  /**
   * Runs {@code declaration} for each of {@code items}, {@link #DECLARING_CHANNELS} channels of
   * {@code connection} working side by side; throws the first failure once all ended.
   */
  private static <T> void onChannels(Connection connection, List<T> items, Declaration<T> declaration)
      throws InterruptedException, IOException {
    List<Future<Void>> workers = new ArrayList<>();
    try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int worker = 0; worker < DECLARING_CHANNELS; worker++) {
        int first = worker;
        workers.add(threads.submit(() -> {
          try (Channel channel = connection.createChannel()) {
            for (int i = first; i < items.size(); i += DECLARING_CHANNELS) {
              declaration.declare(channel, items.get(i));
            }
          }
          return null;
        }));
      }
    }
    for (Future<Void> worker : workers) {
      try {
        worker.get();
      } catch (ExecutionException e) {
        throw new IOException("declaring on RabbitMQ failed", e.getCause());
      }
    }
  }

  /**
   * Deletes the run's exchanges and queues, also after a failure, so the broker keeps none; a
   * failure to delete is reported, not thrown over the run's own.
   */
  private static void deleteAll(List<Connection> connections, List<String> exchanges, List<String> queues) {
    if (connections.isEmpty()) {
      return;
    }
    try {
      onChannels(connections.getFirst(), exchanges, Channel::exchangeDelete);
      onChannels(connections.getFirst(), queues, Channel::queueDelete);
    } catch (IOException | InterruptedException | RuntimeException e) {
      System.err.println("could not delete every RabbitMQ queue and exchange of the run (" + queues.getFirst()
          + " and on): " + e);
    }
  }

  private static void sleepUntil(long nanoTime) throws InterruptedException {
    for (long wait = nanoTime - System.nanoTime(); wait > 0; wait = nanoTime - System.nanoTime()) {
      TimeUnit.NANOSECONDS.sleep(wait);
    }
  }

  /** One declaration (or deletion) on the broker. */
  private interface Declaration<T> {
    void declare(Channel channel, T item) throws IOException;
  }
}
