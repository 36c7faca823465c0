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
   * channels declare side by side (4 to 8 times faster than one on this machine).
   */
  private static final int DECLARING_CHANNELS = 10;

  /**
   * What RabbitMQ did while the window was open: messages confirmed and deliveries consumed, per
   * second; and how long declaring the queues, exchanges, bindings and consumers took.
   */
  record Result(double messagesPerSecond, double deliveriesPerSecond, int groups, int groupSize, int senders,
                Duration window, Duration setUp, String version) {}

  /** A queue bound to an exchange. */
  private record Binding(String queue, String exchange) {}

  /** What a run declares: a queue per member, an exchange per sender bound to the other members' queues. */
  private record Topology(List<String> queues, List<String> exchanges, List<Binding> bindings) {
    static Topology of(String prefix, int groups, int groupSize, int senders) {
      List<String> queues = new ArrayList<>();
      for (int member = 0; member < groups * groupSize; member++) {
        queues.add(prefix + "q" + member);
      }
      List<String> exchanges = new ArrayList<>();
      List<Binding> bindings = new ArrayList<>();
      for (int sender = 0; sender < senders; sender++) {
        // The sender's member as bench/load's Senders.choose picks it: the groups in turn, then the next member.
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
      return new Topology(queues, exchanges, bindings);
    }
  }

  /** What the counts of confirms and deliveries gained while the window was open. */
  private record Gains(long confirmed, long delivered) {}

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
    Topology topology = Topology.of("hs-bench-fanout-" + UUID.randomUUID() + "-", groups, groupSize, senders);
    List<Connection> connections = new ArrayList<>();
    LongAdder delivered = new LongAdder();
    try {
      long setUpStart = System.nanoTime();
      connections.add(factory.newConnection("bench-fanout-admin"));
      List<Channel> publishers = declare(factory, connections, topology, delivered);
      Duration setUp = Duration.ofNanos(System.nanoTime() - setUpStart);
      Gains gains = send(publishers, topology.exchanges(), messageBytes, warmup, window, delivered);
      double seconds = window.toNanos() / 1e9;
      return new Result(gains.confirmed() / seconds, gains.delivered() / seconds, groups, groupSize, senders, window,
          setUp, String.valueOf(connections.getFirst().getServerProperties().get("version")));
    } finally {
      deleteAll(connections, topology);
      connections.forEach(Connection::abort);
    }
  }

  /**
   * Declares the topology on the first of {@code connections}, starts a consumer on each queue that
   * counts into {@code delivered}, and returns a publisher channel (with confirms) per sender.
   */
  private static List<Channel> declare(ConnectionFactory factory, List<Connection> connections, Topology topology,
      LongAdder delivered) throws IOException, TimeoutException, InterruptedException {
    Connection admin = connections.getFirst();
    onChannels(admin, topology.queues(), (channel, queue) -> channel.queueDeclare(queue, true, false, false, null));
    onChannels(admin, topology.exchanges(),
        (channel, exchange) -> channel.exchangeDeclare(exchange, BuiltinExchangeType.FANOUT, true));
    onChannels(admin, topology.bindings(),
        (channel, binding) -> channel.queueBind(binding.queue(), binding.exchange(), ""));
    List<String> queues = topology.queues();
    for (int member = 0; member < queues.size(); member++) {
      Channel consumer = channel(factory, connections, member);
      consumer.basicQos(PREFETCH);
      consumer.basicConsume(queues.get(member), false, (tag, delivery) -> {
        delivered.increment();
        consumer.basicAck(delivery.getEnvelope().getDeliveryTag(), false);
      }, tag -> { });
    }
    List<Channel> publishers = new ArrayList<>();
    for (int sender = 0; sender < topology.exchanges().size(); sender++) {
      Channel publisher = channel(factory, connections, queues.size() + sender);
      publisher.confirmSelect();
      publishers.add(publisher);
    }
    return publishers;
  }

  /**
   * Each publisher sends to its exchange in a closed loop for {@code warmup} and then {@code window}:
   * publishes a persistent message, waits for its confirm, publishes the next.
   */
  private static Gains send(List<Channel> publishers, List<String> exchanges, int messageBytes, Duration warmup,
      Duration window, LongAdder delivered) throws IOException, InterruptedException {
    LongAdder confirmed = new LongAdder();
    long start = System.nanoTime() + warmup.toNanos();
    long end = start + window.toNanos();
    Gains gains;
    List<Future<Void>> sending = new ArrayList<>();
    try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int sender = 0; sender < publishers.size(); sender++) {
        Channel publisher = publishers.get(sender);
        String exchange = exchanges.get(sender);
        sending.add(threads.submit(() -> {
          byte[] body = new byte[messageBytes];
          while (System.nanoTime() < end) {
            publisher.basicPublish(exchange, "", MessageProperties.PERSISTENT_BASIC, body);
            publisher.waitForConfirmsOrDie(CONFIRM_TIMEOUT_MILLIS);
            confirmed.increment();
          }
          return null;
        }));
      }
      sleepUntil(start);
      long confirmedAtStart = confirmed.sum();
      long deliveredAtStart = delivered.sum();
      sleepUntil(end);
      gains = new Gains(confirmed.sum() - confirmedAtStart, delivered.sum() - deliveredAtStart);
    }
    // A sender that failed (a confirm that never came) would otherwise only show as a lower rate.
    awaitAll(sending, "publishing to RabbitMQ failed");
    return gains;
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
    awaitAll(workers, "declaring on RabbitMQ failed");
  }

  /**
   * Deletes the run's exchanges and queues, also after a failure, so the broker keeps none; a
   * failure to delete is reported, not thrown over the run's own.
   */
  private static void deleteAll(List<Connection> connections, Topology topology) {
    if (connections.isEmpty()) {
      return;
    }
    try {
      onChannels(connections.getFirst(), topology.exchanges(), Channel::exchangeDelete);
      onChannels(connections.getFirst(), topology.queues(), Channel::queueDelete);
    } catch (IOException | InterruptedException | RuntimeException e) {
      System.err.println("could not delete every RabbitMQ queue and exchange of the run ("
          + topology.queues().getFirst() + " and on): " + e);
    }
  }

  /** Throws the first failure of {@code tasks}, which have ended. */
  private static void awaitAll(List<Future<Void>> tasks, String failure) throws IOException, InterruptedException {
    for (Future<Void> task : tasks) {
      try {
        task.get();
      } catch (ExecutionException e) {
        throw new IOException(failure, e.getCause());
      }
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
