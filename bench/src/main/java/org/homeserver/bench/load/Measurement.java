package org.homeserver.bench.load;

import io.grpc.Status;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * What a run counts inside its window (after the warm-up, before the end). Sends, their failures,
 * and the latency and completeness of their deliveries count for the window by the send time, so
 * messages of the warm-up count for nothing and late deliveries still count for their message. The
 * delivery rate counts by the receive time: what the server handed out over Listen while the
 * window was open, whenever those messages were sent.
 */
public final class Measurement implements Senders.Tally {
  /** Latencies are recorded in microseconds, to three significant digits. */
  private static final int SIGNIFICANT_DIGITS = 3;

  private final long start;
  private final long end;
  private final LongAdder accepted = new LongAdder();
  private final LongAdder delivered = new LongAdder();
  private final LongAdder receivedInWindow = new LongAdder();
  private final Map<Status.Code, LongAdder> failures = new ConcurrentHashMap<>();
  private final Recorder latency = new Recorder(SIGNIFICANT_DIGITS);
  private volatile String firstFailure;

  /** A window of {@code duration} that opens {@code warmup} from now (System.nanoTime). */
  Measurement(Duration warmup, Duration duration) {
    this.start = System.nanoTime() + warmup.toNanos();
    this.end = start + duration.toNanos();
  }

  long windowEnd() {
    return end;
  }

  Duration window() {
    return Duration.ofNanos(end - start);
  }

  boolean inWindow(long time) {
    return time >= start && time < end;
  }

  /** Sends go on until the window ends. */
  @Override
  public boolean sends(long n, long time) {
    return time < end;
  }

  @Override
  public void accepted(long sentAt) {
    if (inWindow(sentAt)) {
      accepted.increment();
    }
  }

  @Override
  public void failed(long sentAt, Throwable error) {
    Status status = Status.fromThrowable(error);
    if (firstFailure == null) {
      firstFailure = status.getCode() + ": " + status.getDescription();
    }
    if (inWindow(sentAt)) {
      failures.computeIfAbsent(status.getCode(), c -> new LongAdder()).increment();
    }
  }

  /** A request sent at {@code sentAt} was answered at {@code answeredAt}: accepted, its round trip the latency. */
  void answered(long sentAt, long answeredAt) {
    accepted(sentAt);
    if (inWindow(sentAt)) {
      latency.recordValue(Math.max(0, TimeUnit.NANOSECONDS.toMicros(answeredAt - sentAt)));
    }
  }

  /** A message of the run arrived over Listen at {@code receivedAt}. */
  void delivered(long sentAt, long receivedAt) {
    if (inWindow(receivedAt)) {
      receivedInWindow.increment();
    }
    if (inWindow(sentAt)) {
      delivered.increment();
      latency.recordValue(Math.max(0, TimeUnit.NANOSECONDS.toMicros(receivedAt - sentAt)));
    }
  }

  long deliveredSoFar() {
    return delivered.sum();
  }

  long acceptedSoFar() {
    return accepted.sum();
  }

  /** The figures as they stand; call once sending ended and deliveries drained. */
  Result result() {
    Map<Status.Code, Long> failed = new TreeMap<>();
    failures.forEach((code, count) -> failed.put(code, count.sum()));
    return new Result(window(), accepted.sum(), delivered.sum(), receivedInWindow.sum(), failed, firstFailure,
        latency.getIntervalHistogram());
  }

  /**
   * The figures of one window: {@code delivered} counts deliveries of the window's messages,
   * {@code received} the deliveries that arrived in the window; latencies in microseconds.
   */
  public record Result(Duration window, long accepted, long delivered, long received, Map<Status.Code, Long> failed,
                String firstFailure, Histogram latencyMicros) {
    public double acceptedPerSecond() {
      return accepted / seconds();
    }

    public double receivedPerSecond() {
      return received / seconds();
    }

    public long failedCount() {
      return failed.values().stream().mapToLong(Long::longValue).sum();
    }

    private double seconds() {
      return window.toNanos() / 1e9;
    }
  }
}
