package org.homeserver.bench.load;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.homeserver.notifier.push.JsonBodies;
import org.homeserver.notifier.testing.WebPushReceiver;
import tools.jackson.databind.JsonNode;

/**
 * What the receiver of a pushes run got, matched to the run's messages: a push names its client
 * by its topic ({@link PushRun#TOPIC_PREFIX} and the client's index) and its queue entry by its
 * {@code count}, which is that entry's sequence while the client acknowledges nothing.
 *
 * @param expected        the run's accepted messages times the recipients of each
 * @param received        pushes for the run's messages, each notification once
 * @param duplicates      pushes of a notification id already received (the notifier may push again after a lost lease)
 * @param unmatched       pushes for no message of the run: another entry, or a topic or count that names none
 * @param rejections      why the receiver refused requests (bad VAPID, undecryptable); a run must have none
 * @param toLastPush      from the first Send to the last push's arrival
 * @param steadyPerSecond pushes per second between the 10th and the 90th percentile of arrivals; 0 with under 10 pushes
 * @param latencyMicros   from each message's accepted Send to the arrival of each of its pushes
 */
record PushFigures(long expected, long received, long duplicates, long unmatched, List<String> rejections,
                   Duration toLastPush, double steadyPerSecond, Histogram latencyMicros) {
  PushFigures {
    rejections = List.copyOf(rejections);
  }

  /**
   * @param sentAt     for each client index, the send time of each of its queue's messages, by sequence
   * @param acceptedAt when each message's Send returned, by its send time
   * @param firstSend  when the first Send started (System.nanoTime)
   * @param clock      the receiver's clock, which converts arrivals to System.nanoTime
   */
  static PushFigures of(List<WebPushReceiver.Received> pushes, List<String> rejections, long expected,
      Map<Integer, Map<Long, Long>> sentAt, Map<Long, Long> acceptedAt, long firstSend, NanoClock clock) {
    Set<String> ids = new HashSet<>();
    List<Long> arrivals = new ArrayList<>(pushes.size());
    Histogram latency = new Histogram(3);
    long duplicates = 0;
    long unmatched = 0;
    for (WebPushReceiver.Received push : pushes) {
      JsonNode payload = JsonBodies.read(push.payload());
      Optional<String> id = payload.path("id").stringValueOpt();
      if (id.isPresent() && !ids.add(id.get())) {
        duplicates++;
        continue;
      }
      OptionalLong count = payload.path("count").longValueOpt();
      Optional<Long> message = client(push).filter(c -> count.isPresent())
          .map(c -> sentAt.getOrDefault(c, Map.of()).get(count.getAsLong()));
      if (message.isEmpty()) {
        unmatched++;
        continue;
      }
      long arrival = clock.nanoTime(push.arrival());
      arrivals.add(arrival);
      Long accepted = acceptedAt.get(message.get());
      if (accepted != null) {
        latency.recordValue(Math.max(0, TimeUnit.NANOSECONDS.toMicros(arrival - accepted)));
      }
    }
    arrivals.sort(null);
    Duration toLast = arrivals.isEmpty() ? Duration.ZERO : Duration.ofNanos(arrivals.getLast() - firstSend);
    return new PushFigures(expected, arrivals.size(), duplicates, unmatched, rejections, toLast, steady(arrivals),
        latency);
  }

  /** Pushes for the run's messages per second, from the first Send to the last push. */
  double perSecond() {
    return toLastPush.isZero() ? 0 : received / (toLastPush.toNanos() / 1e9);
  }

  long missing() {
    return Math.max(0, expected - received);
  }

  /** What makes the run's figures untrustworthy: rejected pushes, lost ones. */
  List<String> problems() {
    List<String> problems = new ArrayList<>();
    if (!rejections.isEmpty()) {
      problems.add(rejections.size() + " requests rejected by the Web Push receiver, the first: " + rejections.getFirst());
    }
    if (missing() > 0) {
      problems.add(missing() + " of " + expected + " pushes never arrived");
    }
    return problems;
  }

  /** The client a push is for, by the topic its policy set. */
  private static Optional<Integer> client(WebPushReceiver.Received push) {
    return push.topic().filter(t -> t.startsWith(PushRun.TOPIC_PREFIX))
        .map(t -> Integer.parseInt(t.substring(PushRun.TOPIC_PREFIX.length())));
  }

  /** The rate between the 10th and the 90th percentile of the sorted arrivals: the ramp and the tail left out. */
  private static double steady(List<Long> arrivals) {
    int from = arrivals.size() / 10;
    int to = arrivals.size() * 9 / 10;
    long nanos = arrivals.isEmpty() ? 0 : arrivals.get(to) - arrivals.get(from);
    return arrivals.size() < 10 || nanos <= 0 ? 0 : (to - from) / (nanos / 1e9);
  }
}
