package org.homeserver.delivery;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import com.google.protobuf.ByteString;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.api.delivery.v1.KeepAlive;
import org.homeserver.api.delivery.v1.ListenRequest;
import org.homeserver.api.delivery.v1.ListenResponse;
import org.homeserver.api.delivery.v1.QueueEmpty;
import org.homeserver.api.delivery.v1.QueueEntry;
import org.homeserver.platform.grpc.DeclaredRules;
import org.homeserver.platform.auth.Principal;
import org.homeserver.platform.auth.Revocations;
import org.homeserver.platform.db.DatabaseFailure;
import org.homeserver.platform.errors.Refusal;
import org.homeserver.platform.grpc.ErrorStatus;
import org.homeserver.platform.grpc.Protos;
import org.homeserver.platform.signal.Signals;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live Listen streams of this process (delivery.proto Listen). A stream holds no thread while
 * idle: signals, acks, flow-control readiness and a periodic tick each schedule a short drain on a
 * virtual thread, and one drain at a time per stream writes to it. Takeover works across
 * processes: a new stream takes the client's next Listen generation from PostgreSQL and announces
 * it on {@code listen.<client uuid>}; a stream of that client that hears of a higher generation,
 * wherever it runs, ends with LISTEN_TAKEN_OVER. Of streams started together, the last numbered
 * stays.
 *
 * <p>A stream follows several positions: the client's own queue and its place in each group's log
 * it reads. What this process accepts reaches its streams in memory ({@link #take}, from the
 * {@link Publisher}); a stream reads PostgreSQL for its backlog, for what other processes accepted
 * (their signals say so: per client for the own queue, one channel for every group's log), and
 * whenever what it holds in memory does not continue exactly where it is.
 */
public final class ListenStreams implements AutoCloseable {
  public static final int DEFAULT_MAX_UNACKED = Math.toIntExact(DeclaredRules.zeroMeans(
      ListenRequest.getDescriptor(), ListenRequest.MAX_UNACKED_FIELD_NUMBER));
  public static final int DEFAULT_KEEP_ALIVE_SECONDS = Math.toIntExact(DeclaredRules.zeroMeans(
      ListenRequest.getDescriptor(), ListenRequest.KEEP_ALIVE_SECONDS_FIELD_NUMBER));
  /** How often a stream checks its keep-alive, its token and (while it waits for acks) its queue's floor. */
  static final Duration TICK = Duration.ofSeconds(1);
  /**
   * How often an idle stream reads its queue even without a signal, in case one was lost (signals
   * are not stored, and Redis drops them while a connection is down).
   */
  static final Duration RESYNC = Duration.ofSeconds(60);
  /**
   * How long a stream counts as live (for the notifier) without being renewed; renewed every third
   * of it, so only a process that died leaves a client marked live, and not for longer.
   */
  static final Duration PRESENCE = Duration.ofSeconds(90);
  /**
   * How often the streams read their queues' positions from PostgreSQL while signals are unreliable
   * (Redis down or just back): each stream then learns of new entries, acks and takeovers within it.
   */
  static final Duration POLL = Duration.ofMillis(250);
  /** Clients whose positions one poll reads in one statement. */
  private static final int POLL_BATCH = 1000;
  /**
   * Entries a stream holds in memory before it falls back to reading them from the database: twice
   * the most a stream may have in flight (ListenRequest.max_unacked).
   */
  static final int INBOX_LIMIT = 2 * DeclaredRules.field(ListenRequest.getDescriptor(),
      ListenRequest.MAX_UNACKED_FIELD_NUMBER).getInt32().getLte();

  private static final Logger log = LoggerFactory.getLogger(ListenStreams.class);

  private final Queues queues;
  private final GroupLogStore groupLog;
  private final QueueSignals queueSignals;
  private final Signals signals;
  private final Revocations revocations;
  private final Clock clock;
  private final ExecutorService drains = Executors.newVirtualThreadPerTaskExecutor();
  private final ScheduledExecutorService ticks =
      Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("listen-ticks").daemon().factory());
  private final Set<Stream> open = ConcurrentHashMap.newKeySet();
  /** The newest stream of each client listening in this process. */
  private final Map<UUID, Stream> byClient = new ConcurrentHashMap<>();
  /** The streams here of each group's readers, as each stream last read its groups. */
  private final Map<ByteString, Set<Stream>> byGroup = new ConcurrentHashMap<>();
  private final Signals.Subscription groupSubscription;

  public ListenStreams(Queues queues, GroupLogStore groupLog, QueueSignals queueSignals, Signals signals,
      Revocations revocations, Clock clock) {
    this.queues = queues;
    this.groupLog = groupLog;
    this.queueSignals = queueSignals;
    this.signals = signals;
    this.revocations = revocations;
    this.clock = clock;
    this.groupSubscription = queueSignals.subscribeGroups(this::groupReached);
    long renew = PRESENCE.toMillis() / 3;
    ticks.scheduleWithFixedDelay(this::renewPresence, renew, renew, TimeUnit.MILLISECONDS);
    ticks.scheduleWithFixedDelay(this::pollWhileSignalsUnreliable, POLL.toMillis(), POLL.toMillis(),
        TimeUnit.MILLISECONDS);
  }

  /** Another process (or this one) accepted message {@code sequence} of a group: its readers here look. */
  private void groupReached(ByteString group, long sequence) {
    Set<Stream> streams = byGroup.get(group);
    if (streams != null) {
      streams.forEach(stream -> stream.signalled(group, sequence));
    }
  }

  /**
   * While signals may be lost, reads every local stream's own queue position, acknowledged floor
   * and newest Listen generation, and the last message of every group they read, from PostgreSQL,
   * and hands each stream what a signal would have said.
   */
  private void pollWhileSignalsUnreliable() {
    if (signals.reliable() || byClient.isEmpty()) {
      return;
    }
    List<UUID> clients = List.copyOf(byClient.keySet());
    List<ByteString> groups = List.copyOf(byGroup.keySet());
    try {
      for (int from = 0; from < clients.size(); from += POLL_BATCH) {
        for (QueueStore.Position position : queues.positions(clients.subList(from,
            Math.min(clients.size(), from + POLL_BATCH)))) {
          Stream stream = byClient.get(position.client());
          if (stream != null) {
            stream.polled(position);
          }
        }
      }
      for (int from = 0; from < groups.size(); from += POLL_BATCH) {
        groupLog.lastSequences(groups.subList(from, Math.min(groups.size(), from + POLL_BATCH)))
            .forEach(this::groupReached);
      }
    } catch (RuntimeException e) {
      log.debug("polling the positions of {} Listen streams failed; trying again", clients.size(), e);
    }
  }

  private void renewPresence() {
    Map<UUID, Long> generations = new HashMap<>();
    byClient.forEach((client, stream) -> {
      long generation = stream.generation();
      if (generation != 0) {
        generations.put(client, generation);
      }
    });
    try {
      queues.keepListening(generations, clock.instant().plus(PRESENCE));
    } catch (RuntimeException e) {
      log.warn("renewing the presence of {} Listen streams failed ({}); the next renewal tries again", generations.size(),
          e.toString());
    }
  }

  /** Those of {@code clients} with a live Listen stream: in this process, or marked live by another. */
  public Set<UUID> listening(Collection<UUID> clients) {
    Set<UUID> live = new HashSet<>();
    List<UUID> elsewhere = new ArrayList<>();
    for (UUID client : clients) {
      if (byClient.containsKey(client)) {
        live.add(client);
      } else {
        elsewhere.add(client);
      }
    }
    live.addAll(queues.listening(elsewhere, clock.instant()));
    return live;
  }

  /**
   * What a transaction of this process made visible, once committed: each entry goes to its
   * client's stream here, if there is one; a log message to each recipient's stream (with the
   * recipient's policy), and to the sender's as a position it skips.
   */
  void take(Publisher.Published published) {
    for (Queues.Queued queued : published.queued()) {
      Stream stream = byClient.get(queued.client());
      if (stream != null) {
        stream.offer(new Live(null, queued.entry().getSequence(), queued.entry()));
      }
    }
    published.message().ifPresent(message -> {
      GroupLogStore.LogEntry entry = message.entry();
      ByteString group = ByteString.copyFrom(entry.groupId());
      QueueEntry plain = null;
      for (GroupLogStore.Reader reader : message.recipients()) {
        Stream stream = byClient.get(reader.client());
        if (stream == null) {
          continue;
        }
        QueueEntry delivered;
        if (reader.policy() == null) {
          plain = plain != null ? plain : Queues.groupEntry(new GroupLogStore.ReadEntry(entry.groupId(),
              entry.sequence(), entry.epoch(), entry.message(), entry.acceptedAt(), null, 0));
          delivered = plain;
        } else {
          delivered = Queues.groupEntry(new GroupLogStore.ReadEntry(entry.groupId(), entry.sequence(), entry.epoch(),
              entry.message(), entry.acceptedAt(), reader.policy(), 0));
        }
        stream.offer(new Live(group, entry.sequence(), delivered));
      }
      Stream sender = byClient.get(entry.sender());
      if (sender != null) {
        sender.offer(new Live(group, entry.sequence(), null));
      }
    });
    for (UUID client : published.joined()) {
      Stream stream = byClient.get(client);
      if (stream != null) {
        stream.joined();
      }
    }
  }

  /** {@code client} acknowledged, through this process: its stream here frees what was in flight. */
  void acknowledged(UUID client, Queues.Acknowledged acked) {
    Stream stream = byClient.get(client);
    if (stream != null) {
      stream.acked(acked);
    }
  }

  /** The live streams in this process. */
  public int count() {
    return open.size();
  }

  /** Starts a stream for {@code caller}, with the request's defaults filled in (its rules admitted it). */
  public void listen(Principal caller, ListenRequest request, ServerCallStreamObserver<ListenResponse> observer) {
    int maxUnacked = request.getMaxUnacked() == 0 ? DEFAULT_MAX_UNACKED : request.getMaxUnacked();
    int keepAlive = request.getKeepAliveSeconds() == 0 ? DEFAULT_KEEP_ALIVE_SECONDS : request.getKeepAliveSeconds();
    Stream stream = new Stream(caller, maxUnacked, Duration.ofSeconds(keepAlive), observer);
    stream.start();
  }

  /** Ends every stream with UNAVAILABLE (the server is shutting down; clients reconnect with backoff). */
  @Override
  public void close() {
    groupSubscription.close();
    for (Stream stream : open) {
      stream.end(Status.UNAVAILABLE.withDescription("the server is shutting down; reconnect with backoff")
          .asRuntimeException());
    }
    ticks.shutdownNow();
    drains.shutdown();
    try {
      drains.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static String takeoverChannel(UUID client) {
    return "listen." + client;
  }

  /**
   * An entry handed over in memory: of the own queue ({@code group} null) or of a group's log; a
   * null {@code entry} is the client's own message, a position to skip.
   */
  private record Live(ByteString group, long sequence, QueueEntry entry) {}

  /** One Listen call. Its fields other than the wake-up flags are touched only inside {@link #drain()}. */
  private final class Stream implements QueueSignals.ClientListener {
    private final Principal caller;
    private final int maxUnacked;
    private final Duration keepAlive;
    private final ServerCallStreamObserver<ListenResponse> observer;
    /** This stream's generation (0 until it has one) and the highest announced, under this stream's lock. */
    private long generation;
    private long highestAnnounced;
    private final AtomicInteger pending = new AtomicInteger();
    /** Entries handed over in memory, not yet sent; bounded, and cleared when it overflows. */
    private final ConcurrentLinkedQueue<Live> inbox = new ConcurrentLinkedQueue<>();
    private final AtomicInteger inboxSize = new AtomicInteger();
    /** What signals announced: the own queue's highest sequence, each group's, acks; read by the drain. */
    private volatile long signalledOwn;
    private final Map<ByteString, Long> signalledGroups = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<Queues.Acknowledged> acks = new ConcurrentLinkedQueue<>();
    private volatile boolean groupsChanged;
    private volatile RuntimeException ending;
    /** Where the stream is: the last position sent (or skipped, or acknowledged) in each. */
    private long ownSent;
    private final Map<ByteString, Long> groupSent = new HashMap<>();
    /** The groups this stream reads, as last read from PostgreSQL. */
    private Set<ByteString> groups = Set.of();
    /** Sent and not acknowledged, per position. */
    private final ArrayDeque<Long> ownInFlight = new ArrayDeque<>();
    private final Map<ByteString, ArrayDeque<Long>> groupInFlight = new HashMap<>();
    private int inFlight;
    private boolean backlogDone;
    private boolean closed;
    private Instant lastWrite;
    private Instant lastRead;
    private Instant lastAckRead;
    private Signals.Subscription queueSubscription;
    private Signals.Subscription takeoverSubscription;
    private ScheduledFuture<?> tick;

    synchronized long generation() {
      return generation;
    }

    Stream(Principal caller, int maxUnacked, Duration keepAlive, ServerCallStreamObserver<ListenResponse> observer) {
      this.caller = caller;
      this.maxUnacked = maxUnacked;
      this.keepAlive = keepAlive;
      this.observer = observer;
    }

    void start() {
      lastWrite = clock.instant();
      observer.setOnCancelHandler(() -> end(null));
      observer.setOnReadyHandler(this::wake);
      UUID client = caller.clientUuid();
      // Subscribe before the first read, so nothing queued after the read goes unsignalled; announce
      // this stream after subscribing, so a later one's announcement reaches it.
      takeoverSubscription = signals.subscribe(takeoverChannel(client), message -> {
        long announced;
        try {
          announced = Long.parseLong(new String(message, StandardCharsets.US_ASCII));
        } catch (NumberFormatException e) {
          log.warn("malformed Listen takeover signal for client {}", client);
          return;
        }
        heard(announced);
      });
      queueSubscription = queueSignals.subscribe(client, this);
      open.add(this);
      byClient.put(client, this);
      long mine;
      try {
        mine = queues.nextListenGeneration(client, clock.instant().plus(PRESENCE));
      } catch (RuntimeException e) {
        release();   // the caller gets the failure (UNAVAILABLE for a passing fault) and reconnects
        throw e;
      }
      synchronized (this) {
        generation = mine;
      }
      heard(mine);
      signals.publish(takeoverChannel(client), Long.toString(mine).getBytes(StandardCharsets.US_ASCII));
      tick = ticks.scheduleWithFixedDelay(this::wake, TICK.toMillis(), TICK.toMillis(), TimeUnit.MILLISECONDS);
      wake();
    }

    /**
     * Takes note of an announced generation (its own included): a higher one than this stream's ends
     * it. An announcement heard before this stream has its own number is kept until it has one.
     */
    private void heard(long announced) {
      boolean overtaken;
      synchronized (this) {
        highestAnnounced = Math.max(highestAnnounced, announced);
        overtaken = generation != 0 && highestAnnounced > generation;
      }
      if (overtaken) {
        end(Refusal.of(ErrorReason.LISTEN_TAKEN_OVER, "another Listen of this client took over"));
      }
    }

    @Override
    public void queued(long sequence) {
      signalledOwn = Math.max(signalledOwn, sequence);
      wake();
    }

    @Override
    public void acked(long upTo) {
      acked(new Queues.Acknowledged(upTo, Map.of()));
    }

    @Override
    public void acked(ByteString group, long upTo) {
      acked(new Queues.Acknowledged(0, Map.of(group, upTo)));
    }

    void acked(Queues.Acknowledged acked) {
      acks.add(acked);
      wake();
    }

    @Override
    public void joined() {
      groupsChanged = true;
      wake();
    }

    void signalled(ByteString group, long sequence) {
      signalledGroups.merge(group, sequence, Math::max);
      wake();
    }

    /** What a poll of PostgreSQL found, standing in for the signals that may have been lost. */
    void polled(QueueStore.Position position) {
      signalledOwn = Math.max(signalledOwn, position.last());
      acks.add(new Queues.Acknowledged(position.floor(), Map.of()));
      heard(position.listenGeneration());
      wake();
    }

    /** Takes an entry this process just accepted for the client; past the bound the database serves instead. */
    void offer(Live live) {
      if (inboxSize.incrementAndGet() > INBOX_LIMIT) {
        inbox.clear();
        inboxSize.set(0);
        groupsChanged = true;   // read everything again
      } else {
        inbox.add(live);
      }
      wake();
    }

    /** Ends the stream with {@code error} (null: the client cancelled) at the next drain. */
    void end(RuntimeException error) {
      if (ending == null) {
        ending = error == null ? Status.CANCELLED.asRuntimeException() : error;
      }
      wake();
    }

    void wake() {
      if (pending.getAndIncrement() == 0) {
        try {
          drains.execute(this::drain);
        } catch (RejectedExecutionException shuttingDown) {
          pending.set(0);
        }
      }
    }

    private void drain() {
      int wakeUps = pending.get();
      while (true) {
        try {
          step();
        } catch (RuntimeException e) {
          if (DatabaseFailure.isTransient(e)) {
            // The database is restarting or a connection was lost: the stream keeps where it is and
            // what is in flight, and the next tick reads again.
            log.debug("Listen stream of client {} could not read; trying again", caller.clientId(), e);
          } else {
            log.warn("Listen stream of client {} failed", caller.clientId(), e);
            ending = ending == null
                ? Status.UNAVAILABLE.withDescription("the stream failed; reconnect").asRuntimeException() : ending;
            finish();
          }
        }
        wakeUps = pending.addAndGet(-wakeUps);
        if (wakeUps == 0) {
          return;
        }
      }
    }

    private void step() {
      if (closed) {
        return;
      }
      Instant now = clock.instant();
      if (ending == null && !now.isBefore(caller.expiresAt())) {
        ending = Refusal.of(ErrorReason.TOKEN_EXPIRED, "the access token expired; reconnect with a fresh one");
      }
      if (ending == null && caller.revokedIn(revocations)) {
        ending = Refusal.of(ErrorReason.TOKEN_REVOKED, "the client or its user was deleted or suspended");
      }
      if (ending != null) {
        finish();
        return;
      }
      for (Queues.Acknowledged acked = acks.poll(); acked != null; acked = acks.poll()) {
        release(acked);
      }
      sendEntries(now);
      if (!Duration.between(lastWrite, now).minus(keepAlive).isNegative() && observer.isReady()) {
        write(ListenResponse.newBuilder().setKeepAlive(KeepAlive.newBuilder().setServerTime(Protos.timestamp(now)))
            .build(), now);
      }
    }

    /** Frees the positions an ack covered. */
    private void release(Queues.Acknowledged acked) {
      while (!ownInFlight.isEmpty() && ownInFlight.peekFirst() <= acked.ownUpTo()) {
        ownInFlight.pollFirst();
        inFlight--;
      }
      acked.groups().forEach((group, upTo) -> {
        ArrayDeque<Long> sent = groupInFlight.get(group);
        while (sent != null && !sent.isEmpty() && sent.peekFirst() <= upTo) {
          sent.pollFirst();
          inFlight--;
        }
      });
    }

    private boolean room() {
      return observer.isReady() && inFlight < maxUnacked;
    }

    private void sendEntries(Instant now) {
      if (inFlight >= maxUnacked && (lastAckRead == null || !Duration.between(lastAckRead, now).minus(TICK).isNegative())) {
        // An ack signal can be missed (it is only a signal): while full, the stream reads the
        // positions in PostgreSQL, the truth, once a tick.
        lastAckRead = now;
        readAcknowledged();
      }
      // Live entries from memory while they continue the stream exactly; then the database.
      boolean mustRead = !backlogDone || groupsChanged;
      while (backlogDone && room()) {
        Live next = inbox.peek();
        if (next == null) {
          break;
        }
        long at = next.group() == null ? ownSent : groupSent.getOrDefault(next.group(), -1L);
        if (at < 0 || next.sequence() > at + 1) {
          mustRead = true;   // a group this stream has not read yet, or something in between
          break;
        }
        inbox.poll();
        inboxSize.decrementAndGet();
        if (next.sequence() == at + 1) {
          advance(next.group(), next.sequence());
          if (next.entry() != null) {
            send(next.group(), next.entry(), now);
          }
        }
      }
      boolean behind = signalledOwn > ownSent;
      for (Map.Entry<ByteString, Long> signalled : signalledGroups.entrySet()) {
        behind |= signalled.getValue() > groupSent.getOrDefault(signalled.getKey(), 0L);
      }
      boolean resync = lastRead == null || !Duration.between(lastRead, now).minus(RESYNC).isNegative();
      if (!(mustRead || behind || resync)) {
        return;
      }
      while (room()) {
        groupsChanged = false;
        lastRead = now;
        long wantOwn = signalledOwn;
        Map<ByteString, Long> wantGroups = Map.copyOf(signalledGroups);
        int space = maxUnacked - inFlight;
        QueuePage page = queues.read(caller.clientUuid(), new ReadCursor(ownSent, groupSent), space);
        follow(page);
        for (QueueEntry entry : page.entries()) {
          ByteString group = entry.hasMessage() ? entry.getMessage().getGroupId() : null;
          advance(group, entry.getSequence());
          send(group, entry, now);
        }
        if (!page.hasMore() && page.entries().size() < space) {
          // Everything signalled before this read is sent, or is not this client's to read.
          ownSent = Math.max(ownSent, wantOwn);
          wantGroups.forEach((group, sequence) -> {
            if (groups.contains(group)) {
              groupSent.merge(group, sequence, Math::max);
            }
          });
          signalledGroups.keySet().retainAll(groups);
          if (!backlogDone) {
            backlogDone = true;
            write(ListenResponse.newBuilder().setQueueEmpty(QueueEmpty.newBuilder().setLastSequence(ownSent)).build(),
                now);
          }
          return;
        }
      }
    }

    /** Takes what a read says of the client's positions: its groups, and what it acknowledged. */
    private void follow(QueuePage page) {
      ownSent = Math.max(ownSent, page.floor());
      Map<ByteString, Long> acked = new HashMap<>();
      Set<ByteString> now = new HashSet<>();
      for (GroupLogStore.Reader reader : page.readers()) {
        ByteString group = ByteString.copyFrom(reader.groupId());
        now.add(group);
        groupSent.merge(group, reader.acked(), Math::max);
        acked.put(group, reader.acked());
      }
      release(new Queues.Acknowledged(page.floor(), acked));
      for (ByteString gone : groups) {
        if (!now.contains(gone)) {
          groupSent.remove(gone);
          ArrayDeque<Long> sent = groupInFlight.remove(gone);
          inFlight -= sent == null ? 0 : sent.size();
          unindex(gone);
        }
      }
      for (ByteString group : now) {
        if (!groups.contains(group)) {
          byGroup.computeIfAbsent(group, g -> ConcurrentHashMap.newKeySet()).add(this);
        }
      }
      groups = now;
    }

    private void readAcknowledged() {
      QueuePage positions = queues.positionsOnly(caller.clientUuid());
      follow(positions);
    }

    private void advance(ByteString group, long sequence) {
      if (group == null) {
        ownSent = Math.max(ownSent, sequence);
      } else {
        groupSent.merge(group, sequence, Math::max);
      }
    }

    private void send(ByteString group, QueueEntry entry, Instant now) {
      write(ListenResponse.newBuilder().setEntry(entry).build(), now);
      if (group == null) {
        ownInFlight.addLast(entry.getSequence());
      } else {
        groupInFlight.computeIfAbsent(group, g -> new ArrayDeque<>()).addLast(entry.getSequence());
      }
      inFlight++;
    }

    private void write(ListenResponse response, Instant now) {
      observer.onNext(response);
      lastWrite = now;
    }

    private void unindex(ByteString group) {
      byGroup.computeIfPresent(group, (g, streams) -> {
        streams.remove(this);
        return streams.isEmpty() ? null : streams;
      });
    }

    /** Stops taking wake-ups: leaves the registries, cancels the tick and the subscriptions. */
    private void release() {
      closed = true;
      open.remove(this);
      byClient.remove(caller.clientUuid(), this);
      groups.forEach(this::unindex);
      if (tick != null) {
        tick.cancel(false);
      }
      if (queueSubscription != null) {
        queueSubscription.close();
      }
      if (takeoverSubscription != null) {
        takeoverSubscription.close();
      }
    }

    private void finish() {
      release();
      long mine;
      synchronized (this) {
        mine = generation;
      }
      if (mine != 0) {
        try {
          queues.stopListening(caller.clientUuid(), mine);
        } catch (RuntimeException e) {
          log.warn("could not mark the Listen stream of client {} ended ({}); it lapses by itself", caller.clientUuid(),
              e.toString());
        }
      }
      if (observer.isCancelled()) {
        return;
      }
      try {
        observer.onError(ending instanceof Refusal refusal ? ErrorStatus.toStatus(refusal) : ending);
      } catch (RuntimeException alreadyClosed) {
        // The call ended meanwhile; nothing to tell.
      }
    }
  }
}
