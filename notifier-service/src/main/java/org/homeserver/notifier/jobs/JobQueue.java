package org.homeserver.notifier.jobs;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * Where push jobs wait, durably, until a worker pushes them: a Redis Stream with a consumer group
 * when Redis is configured ({@link RedisJobQueue}), else a PostgreSQL table ({@link PostgresJobQueue}).
 * A job a worker took and never finished (the process died) is taken again once its lease runs out,
 * so every job is pushed at least once; receivers deduplicate by the notification id.
 */
public interface JobQueue extends AutoCloseable {
  /** A job taken by a worker, with what the store needs to finish it. */
  record Leased(String handle, PushJob job) {}

  /** The push jobs of one notification. */
  record Submission(UUID notificationId, List<PushJob> jobs) {
    public Submission {
      jobs = List.copyOf(jobs);
    }
  }

  /**
   * Stores the jobs of each notification, unless a notification with its id was submitted in the
   * last day: then its jobs are dropped. Returns how many notifications were new.
   */
  int submit(List<Submission> submissions, Instant now);

  /** Up to {@code max} jobs due at {@code now}, leased to the caller; none if none is due. */
  List<Leased> take(int max, Instant now);

  /** The job is done (pushed, or given up): it is deleted. */
  void complete(Leased job);

  /** The job failed and is tried again, as {@code next}, at {@code due}. */
  void retry(Leased job, PushJob next, Instant due);

  /** Jobs stored and not finished (due, waiting for a retry, or leased). */
  long pending();

  /** Forgets the ids of notifications submitted before {@code before}; how many. */
  int forgetSeenBefore(Instant before);

  @Override
  void close();
}
