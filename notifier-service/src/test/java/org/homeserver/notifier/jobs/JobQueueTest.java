package org.homeserver.notifier.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.XGroupCreateArgs;
import io.lettuce.core.XReadArgs;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.IntStream;
import org.homeserver.api.notifier.v1.NotificationKind;
import org.homeserver.api.notifier.v1.Urgency;
import org.homeserver.notifier.NotifierModule;
import org.homeserver.notifier.push.Push;
import org.homeserver.platform.db.PostgresLocation;
import org.homeserver.platform.db.ServiceDatabase;
import org.homeserver.platform.signal.Redis;
import org.homeserver.platform.testing.Eventually;
import org.homeserver.platform.testing.RedisProcess;
import org.homeserver.platform.testing.TestPostgres;
import org.homeserver.platform.testing.TestRedis;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Both job stores, PostgreSQL and the Redis Stream (on a single Redis and on a Redis Cluster), keep the same promises. */
class JobQueueTest {
  private static final Duration LEASE = Duration.ofSeconds(1);
  private final List<AutoCloseable> resources = new ArrayList<>();
  private PostgresLocation postgres;
  private Redis redis;

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable resource : resources.reversed()) {
      resource.close();
    }
  }

  /** A job store of the kind, as a fresh process would open it on the same storage. */
  private JobQueue open(String kind) {
    if (kind.startsWith("redis")) {
      redis = redis != null ? TestRedis.connectBeside(redis)
          : TestRedis.connect(kind.equals("redis-cluster") ? TestRedis.Topology.CLUSTER : TestRedis.Topology.SINGLE);
      resources.add(redis);
      return new RedisJobQueue(redis, LEASE);
    }
    postgres = postgres == null ? TestPostgres.freshDatabase() : postgres;
    ServiceDatabase database = ServiceDatabase.open(postgres, NotifierModule.NAME, 4);
    resources.add(database);
    return new PostgresJobQueue(database.transactions(), LEASE);
  }

  private static PushJob job(String notificationId, Instant now) {
    return new PushJob(UUID.randomUUID(), new Push(notificationId, 1, NotificationKind.NOTIFICATION_KIND_ALERT, 60,
        Urgency.URGENCY_NORMAL, ""), 0, now.plusSeconds(60));
  }

  private static void submit(JobQueue queue, UUID id, Instant now) {
    queue.submit(List.of(new JobQueue.Submission(id, List.of(job(id.toString(), now)))), now);
  }

  @ParameterizedTest
  @ValueSource(strings = {"postgres", "redis", "redis-cluster"})
  void aNotificationIsStoredOnceAndEachOfItsJobsTakenOnce(String kind) {
    JobQueue queue = open(kind);
    Instant now = Instant.now();
    UUID id = UUID.randomUUID();
    List<PushJob> jobs = List.of(job(id.toString(), now), job(id.toString(), now));

    assertEquals(1, queue.submit(List.of(new JobQueue.Submission(id, jobs)), now));
    UUID other = UUID.randomUUID();
    assertEquals(1, queue.submit(List.of(new JobQueue.Submission(id, jobs),
        new JobQueue.Submission(other, List.of(job(other.toString(), now)))), now),
        "a repeated notification is dropped, the new one beside it is stored");
    assertEquals(3, queue.pending());

    List<JobQueue.Leased> taken = queue.take(10, now);
    assertEquals(3, taken.size());
    assertTrue(taken.stream().map(JobQueue.Leased::job).toList().containsAll(jobs));
    assertEquals(List.of(), queue.take(10, now), "leased jobs are not taken twice");
    taken.forEach(queue::complete);
    assertEquals(0, queue.pending());
  }

  @Test
  void jobsAnEarlierVersionQueuedUnderTheUntaggedNamesAreTakenAfterTheUpgrade() {
    redis = TestRedis.connect(TestRedis.Topology.SINGLE);
    resources.add(redis);
    Instant now = Instant.now();
    PushJob waiting = job(UUID.randomUUID().toString(), now);
    PushJob retried = job(UUID.randomUUID().toString(), now);
    // As the earlier version left them: a stream with its consumer group, and a job due for a retry.
    redis.sync().xgroupCreate(XReadArgs.StreamOffset.from(redis.key("notifier:jobs"), "0"), "pushers",
        XGroupCreateArgs.Builder.mkstream());
    redis.sync().xadd(redis.key("notifier:jobs"), Map.of("job", waiting.encode()));
    ByteArrayOutputStream member = new ByteArrayOutputStream();   // entry id, NUL, job
    member.writeBytes("0-1\0".getBytes(StandardCharsets.US_ASCII));
    member.writeBytes(retried.encode());
    redis.sync().zadd(redis.key("notifier:retries"), now.toEpochMilli(), member.toByteArray());

    JobQueue upgraded = new RedisJobQueue(redis, LEASE);

    assertEquals(Set.of(waiting, retried), upgraded.take(10, now).stream().map(JobQueue.Leased::job)
        .collect(java.util.stream.Collectors.toSet()));
    assertEquals(0, redis.sync().exists(redis.key("notifier:jobs"), redis.key("notifier:retries")));
  }

  @ParameterizedTest
  @ValueSource(strings = {"postgres", "redis", "redis-cluster"})
  void aRetriedJobComesBackWhenDueAndNotBefore(String kind) {
    JobQueue queue = open(kind);
    Instant now = Instant.now();
    UUID id = UUID.randomUUID();
    submit(queue, id, now);
    JobQueue.Leased first = queue.take(1, now).getFirst();

    Instant due = now.plusSeconds(30);
    queue.retry(first, first.job().retried(), due);

    assertEquals(List.of(), queue.take(1, due.minusSeconds(1)));
    JobQueue.Leased again = queue.take(1, due).getFirst();
    assertEquals(1, again.job().attempts());
    assertEquals(first.job().push(), again.job().push());
    assertEquals(1, queue.pending());
  }

  @ParameterizedTest
  @ValueSource(strings = {"postgres", "redis", "redis-cluster"})
  void jobsOfAWorkerThatDiedAreTakenByAnotherOnceTheLeaseRunsOut(String kind) throws InterruptedException {
    JobQueue dead = open(kind);
    Instant now = Instant.now();
    Set<PushJob> submitted = new HashSet<>();
    for (int i = 0; i < 50; i++) {
      UUID id = UUID.randomUUID();
      PushJob job = job(id.toString(), now);
      submitted.add(job);
      dead.submit(List.of(new JobQueue.Submission(id, List.of(job))), now);
    }
    assertEquals(20, dead.take(20, now).size());

    JobQueue survivor = open(kind);
    Set<PushJob> seen = new HashSet<>();
    survivor.take(100, now).forEach(leased -> {
      seen.add(leased.job());
      survivor.complete(leased);
    });
    assertEquals(30, seen.size(), "the other worker's leased jobs wait for their lease");

    // Redis measures idleness itself: let the lease pass for real.
    Thread.sleep(LEASE.plusMillis(200));
    Instant later = now.plus(LEASE).plusSeconds(10);
    survivor.take(100, later).forEach(leased -> {
      seen.add(leased.job());
      survivor.complete(leased);
    });
    assertEquals(submitted, seen);
    assertEquals(0, survivor.pending());
  }

  @ParameterizedTest
  @ValueSource(strings = {"postgres", "redis", "redis-cluster"})
  void pendingJobsOutliveTheProcessThatStoredThem(String kind) {
    JobQueue first = open(kind);
    Instant now = Instant.now();
    IntStream.range(0, 100).forEach(i -> {
      UUID id = UUID.randomUUID();
      submit(first, id, now);
    });
    first.close();

    JobQueue restarted = open(kind);
    assertEquals(100, restarted.pending());
    assertEquals(100, restarted.take(1000, now).size());
  }

  @org.junit.jupiter.api.Test
  void aRedisRestartedEmptyGetsItsConsumerGroupBackAndTakesNewJobs() throws Exception {
    try (RedisProcess server = RedisProcess.start();
         Redis own = Redis.connect(server.url(), "jobs:")) {
      JobQueue queue = new RedisJobQueue(own, LEASE);
      Instant now = Instant.now();
      submit(queue, UUID.randomUUID(), now);
      assertEquals(1, queue.take(10, now).size());

      server.kill();
      Eventually.until("the probe notices Redis is gone", Duration.ofSeconds(5), () -> !own.up());
      server.restart();
      Eventually.until("Redis answers again", Duration.ofSeconds(5), own::up);
      UUID fresh = UUID.randomUUID();
      submit(queue, fresh, now);
      List<JobQueue.Leased> taken = queue.take(10, now);
      assertEquals(List.of(fresh.toString()), taken.stream().map(l -> l.job().push().notificationId()).toList());
    }
  }
}
