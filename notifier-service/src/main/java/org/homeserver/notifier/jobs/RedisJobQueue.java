package org.homeserver.notifier.jobs;

import io.lettuce.core.Consumer;
import io.lettuce.core.RedisBusyException;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XAutoClaimArgs;
import io.lettuce.core.XGroupCreateArgs;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.homeserver.platform.signal.Redis;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The job store when Redis is configured: a stream of due jobs read through one consumer group by
 * every notifier process, and a sorted set of jobs waiting for a retry, moved into the stream when
 * due. An entry read but never acknowledged (its worker died) is claimed again once it has been idle
 * for the lease. Each change that touches two keys is one Lua script, so it happens whole or not.
 *
 * <p>On a Redis Cluster a script's keys must share a slot: the stream, the retry set and the seen
 * markers all carry the hash tag {@code {notifier}}, so the queue lives on one master (one stream
 * with one consumer group cannot be split anyway); rate limits and signals spread over the others.
 */
public final class RedisJobQueue implements JobQueue {
  private static final Logger log = LoggerFactory.getLogger(RedisJobQueue.class);
  /** The hash tag of every key of the queue: SUBMIT, RETRY and PROMOTE each touch the stream and another key. */
  private static final String SLOT = "notifier";
  private static final String GROUP = "pushers";
  private static final String FIELD = "job";
  private static final Duration SEEN_FOR = Duration.ofDays(1);
  /** How often a take also claims entries other (dead) workers left idle. */
  private static final Duration RECLAIM_EVERY = Duration.ofSeconds(5);
  private static final int PROMOTE_BATCH = 500;

  /**
   * KEYS: the stream, then one seen marker per notification. ARGV: marker lifetime (s), then per
   * notification the number of its jobs followed by the jobs.
   */
  private static final String SUBMIT = """
      local arg, fresh = 2, 0
      for k = 2, #KEYS do
        local count = tonumber(ARGV[arg])
        if redis.call('SET', KEYS[k], '1', 'NX', 'EX', ARGV[1]) then
          fresh = fresh + 1
          for i = arg + 1, arg + count do redis.call('XADD', KEYS[1], '*', 'job', ARGV[i]) end
        end
        arg = arg + count + 1
      end
      return fresh""";
  /** KEYS: stream, delayed set. ARGV: group, entry id, due (ms), member (entry id NUL job). */
  private static final String RETRY = """
      redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
      redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
      return redis.call('XDEL', KEYS[1], ARGV[2])""";
  /** KEYS: delayed set, stream. ARGV: now (ms), batch size. */
  private static final String PROMOTE = """
      local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
      for _, member in ipairs(due) do
        local cut = string.find(member, '\\0', 1, true)
        redis.call('XADD', KEYS[2], '*', 'job', string.sub(member, cut + 1))
        redis.call('ZREM', KEYS[1], member)
      end
      return #due""";

  private final Redis redis;
  private final RedisClusterCommands<String, byte[]> commands;
  private final String stream;
  private final String delayed;
  private final Consumer<String> consumer;
  private final Duration lease;
  private volatile Instant lastReclaim = Instant.EPOCH;

  public RedisJobQueue(Redis redis, Duration lease) {
    this.redis = redis;
    this.commands = redis.sync();
    this.stream = redis.key(SLOT, ":jobs");
    this.delayed = redis.key(SLOT, ":retries");
    this.consumer = Consumer.from(GROUP, "notifier-" + UUID.randomUUID());
    this.lease = lease;
    adoptUntaggedKeys();
    ensureGroup();
    // A Redis that restarted empty has lost the group (and the jobs: the delivery service's sweep
    // hands their notifications over again); make it before the next take finds it missing.
    redis.onReconnect(this::ensureGroup);
  }

  /**
   * Jobs that a version before the keys were hash-tagged queued (on a single Redis, the only kind it
   * used) wait under {@code <prefix>notifier:jobs} and {@code <prefix>notifier:retries}: they are
   * moved to the tagged names, consumer group and leases included, unless a tagged key exists
   * already (another process moved them first). Seen markers are not moved: they only keep a repeat
   * from being queued.
   */
  private void adoptUntaggedKeys() {
    if (redis.cluster()) {
      return;
    }
    for (String[] names : List.of(new String[] {redis.key("notifier:jobs"), stream},
        new String[] {redis.key("notifier:retries"), delayed})) {
      try {
        if (commands.renamenx(names[0], names[1])) {
          log.info("push jobs queued under {} by an earlier version moved to {}", names[0], names[1]);
        }
      } catch (RedisCommandExecutionException nothingThere) {
        // ERR no such key: nothing waits under the old name.
      }
    }
  }

  /** Creates the stream and its consumer group unless they exist; from "0", so no job in the stream is skipped. */
  private void ensureGroup() {
    try {
      commands.xgroupCreate(XReadArgs.StreamOffset.from(stream, "0"), GROUP, XGroupCreateArgs.Builder.mkstream());
    } catch (RedisBusyException e) {
      // The group exists: another process, or an earlier start, made it.
    }
  }

  @Override
  public int submit(List<Submission> submissions, Instant now) {
    if (submissions.isEmpty()) {
      return 0;
    }
    List<String> keys = new ArrayList<>();
    List<byte[]> args = new ArrayList<>();
    keys.add(stream);
    args.add(ascii(Long.toString(SEEN_FOR.toSeconds())));
    for (Submission submission : submissions) {
      keys.add(redis.key(SLOT, ":seen:" + submission.notificationId()));
      args.add(ascii(Integer.toString(submission.jobs().size())));
      submission.jobs().forEach(job -> args.add(job.encode()));
    }
    Long fresh = commands.eval(SUBMIT, ScriptOutputType.INTEGER, keys.toArray(String[]::new),
        args.toArray(byte[][]::new));
    return fresh == null ? 0 : fresh.intValue();
  }

  @Override
  public List<Leased> take(int max, Instant now) {
    try {
      return takeFromGroup(max, now);
    } catch (RedisCommandExecutionException e) {
      if (e.getMessage() == null || !e.getMessage().startsWith("NOGROUP")) {
        throw e;
      }
      log.info("the push job stream's consumer group is gone (Redis restarted empty?); making it again");
      ensureGroup();
      return takeFromGroup(max, now);
    }
  }

  private List<Leased> takeFromGroup(int max, Instant now) {
    commands.eval(PROMOTE, ScriptOutputType.INTEGER, new String[] {delayed, stream},
        ascii(Long.toString(now.toEpochMilli())), ascii(Integer.toString(PROMOTE_BATCH)));
    List<StreamMessage<String, byte[]>> messages = new ArrayList<>();
    if (now.isAfter(lastReclaim.plus(RECLAIM_EVERY))) {
      lastReclaim = now;
      messages.addAll(commands.xautoclaim(stream,
          XAutoClaimArgs.Builder.xautoclaim(consumer, lease, "0-0").count(max)).getMessages());
    }
    if (messages.size() < max) {
      messages.addAll(commands.xreadgroup(consumer, XReadArgs.Builder.count(max - messages.size()),
          XReadArgs.StreamOffset.lastConsumed(stream)));
    }
    List<Leased> taken = new ArrayList<>(messages.size());
    for (StreamMessage<String, byte[]> message : messages) {
      try {
        taken.add(new Leased(message.getId(), PushJob.decode(message.getBody().get(FIELD))));
      } catch (RuntimeException e) {
        log.error("dropping push job {} that does not decode", message.getId(), e);
        finish(message.getId());
      }
    }
    return taken;
  }

  @Override
  public void complete(Leased job) {
    finish(job.handle());
  }

  private void finish(String id) {
    commands.xack(stream, GROUP, id);
    commands.xdel(stream, id);
  }

  @Override
  public void retry(Leased job, PushJob next, Instant due) {
    byte[] id = ascii(job.handle());
    byte[] encoded = next.encode();
    byte[] member = new byte[id.length + 1 + encoded.length];
    System.arraycopy(id, 0, member, 0, id.length);
    System.arraycopy(encoded, 0, member, id.length + 1, encoded.length);
    commands.eval(RETRY, ScriptOutputType.INTEGER, new String[] {stream, delayed},
        ascii(GROUP), id, ascii(Long.toString(due.toEpochMilli())), member);
  }

  @Override
  public long pending() {
    return commands.xlen(stream) + commands.zcard(delayed);
  }

  @Override
  public int forgetSeenBefore(Instant before) {
    return 0;   // the markers expire by themselves
  }

  @Override
  public void close() {
    // The connection belongs to the process.
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
