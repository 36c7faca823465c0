package org.homeserver.notifier.jobs;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.homeserver.platform.db.Transactions;
import org.jdbi.v3.core.statement.PreparedBatch;

/**
 * The job store of a homeserver without Redis: the table push_jobs. A take leases due jobs with
 * FOR UPDATE SKIP LOCKED, so concurrent workers (and processes) never take the same job; a lease
 * that runs out makes its job due again.
 */
public final class PostgresJobQueue implements JobQueue {
  private final Transactions db;
  private final Duration lease;

  public PostgresJobQueue(Transactions db, Duration lease) {
    this.db = db;
    this.lease = lease;
  }

  @Override
  public int submit(List<Submission> submissions, Instant now) {
    if (submissions.isEmpty()) {
      return 0;
    }
    return db.inTransaction(h -> {
      Set<UUID> fresh = h.createQuery("""
              insert into seen_notifications (notification_id, seen_at) select id, :now from unnest(:ids) as t(id)
              on conflict do nothing returning notification_id""")
          .bindArray("ids", UUID.class, submissions.stream().map(Submission::notificationId).toList())
          .bind("now", now).mapTo(UUID.class).set();
      PreparedBatch batch = h.prepareBatch("insert into push_jobs (job, due_at) values (:job, :due)");
      for (Submission submission : submissions) {
        if (fresh.contains(submission.notificationId())) {
          for (PushJob job : submission.jobs()) {
            batch.bind("job", job.encode()).bind("due", now).add();
          }
        }
      }
      if (batch.size() > 0) {
        batch.execute();
      }
      return fresh.size();
    });
  }

  @Override
  public List<Leased> take(int max, Instant now) {
    return db.inTransaction(h -> h.createQuery("""
            update push_jobs set leased_until = :leasedUntil
            where job_id in (select job_id from push_jobs
                             where due_at <= :now and (leased_until is null or leased_until < :now)
                             order by due_at limit :max for update skip locked)
            returning job_id, job""")
        .bind("now", now).bind("leasedUntil", now.plus(lease)).bind("max", max)
        .map((rs, ctx) -> new Leased(Long.toString(rs.getLong("job_id")), PushJob.decode(rs.getBytes("job"))))
        .list());
  }

  @Override
  public void complete(Leased job) {
    db.useHandle(h -> h.createUpdate("delete from push_jobs where job_id = :id")
        .bind("id", Long.parseLong(job.handle())).execute());
  }

  @Override
  public void retry(Leased job, PushJob next, Instant due) {
    db.useHandle(h -> h.createUpdate("update push_jobs set job = :job, due_at = :due, leased_until = null where job_id = :id")
        .bind("job", next.encode()).bind("due", due).bind("id", Long.parseLong(job.handle())).execute());
  }

  @Override
  public long pending() {
    return db.withHandle(h -> h.createQuery("select count(*) from push_jobs").mapTo(Long.class).one());
  }

  @Override
  public int forgetSeenBefore(Instant before) {
    return db.withHandle(h -> h.createUpdate("delete from seen_notifications where seen_at < :before")
        .bind("before", before).execute());
  }

  @Override
  public void close() {
    // The pool belongs to the service's database.
  }
}
