package org.homeserver.launcher;

import org.homeserver.platform.testing.Eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.homeserver.api.auth.v1.DeleteClientRequest;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.api.delivery.v1.AckRequest;
import org.homeserver.api.delivery.v1.ListenRequest;
import org.homeserver.api.delivery.v1.ListenResponse;
import org.homeserver.api.delivery.v1.QueueEntry;
import org.homeserver.api.delivery.v1.SendRequest;
import org.homeserver.api.delivery.v1.SendResponse;
import org.homeserver.auth.AuthSettings;
import org.homeserver.mls.TestMessages;
import org.homeserver.platform.grpc.ErrorStatus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The queues as a client sees them over gRPC: an offline client catches up on 1,000 messages in
 * order, acknowledged entries are gone, a retried Send stores nothing, and Listen delivers the
 * backlog, QueueEmpty and live entries with bounded entries in flight, keep-alives, and an end that
 * says why.
 */
class DeliveryQueuesTest {
  private static TestHomeserver server;

  private TestMember alice;
  private TestMember bob;
  private byte[] groupId;

  @BeforeAll
  static void start() throws Exception {
    server = TestHomeserver.withUsers("alice", "bob");
    server.connectAll("alice", "bob");
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  /** A group of alice and a fresh client of bob, whose queue holds only its Welcome. */
  @BeforeEach
  void group() {
    alice = TestMember.register(server, "alice");
    bob = TestMember.register(server, "bob");
    groupId = alice.createGroupWith(bob, server.clock.instant());
  }

  private List<ByteString> sendMessages(int n) {
    List<ByteString> sent = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      byte[] message = TestMessages.application(groupId, 1, 64);
      alice.send(message);
      sent.add(ByteString.copyFrom(message));
    }
    return sent;
  }

  private static List<ByteString> messages(List<QueueEntry> entries) {
    return entries.stream().filter(QueueEntry::hasMessage).map(e -> e.getMessage().getMlsMessage()).toList();
  }

  @Test
  void anOfflineClientFetchesEveryMessageInOrderAndAcknowledgedEntriesAreGone() {
    List<ByteString> sent = sendMessages(1000);
    List<QueueEntry> queued = bob.fetchAll();
    assertEquals(1001, queued.size());
    assertTrue(queued.getFirst().hasWelcome());
    assertEquals(sent, messages(queued));
    // The group's log numbers its messages without gaps (bob reads from the one after his Add).
    for (int i = 2; i < queued.size(); i++) {
      assertEquals(queued.get(i - 1).getSequence() + 1, queued.get(i).getSequence());
    }

    bob.delivery().ack(TestMember.ackOf(queued.subList(0, 501)));
    assertEquals(queued.subList(501, 1001), bob.fetchAll());
    bob.delivery().ack(TestMember.ackOf(queued));
    assertEquals(List.of(), bob.fetchAll());
  }

  @Test
  void aRetryWithTheSameIdempotencyKeyStoresNothingNew() {
    bob.drain();
    SendRequest request = SendRequest.newBuilder().setIdempotencyKey(UUID.randomUUID().toString())
        .setMlsMessage(ByteString.copyFrom(TestMessages.application(groupId, 1, 64))).build();
    SendResponse first = alice.delivery().send(request);
    SendResponse retry = alice.delivery().send(request);
    assertEquals(first, retry);
    assertEquals(1, bob.drain().size());
    alice.delivery().send(request);
    assertEquals(List.of(), bob.fetchAll());
  }

  @Test
  void listenSendsTheBacklogThenQueueEmptyThenLiveEntries() throws Exception {
    List<ByteString> backlog = sendMessages(3);
    try (ListenProbe listen = ListenProbe.open(bob)) {
      List<QueueEntry> first = listen.entries(4);
      assertTrue(first.getFirst().hasWelcome());
      assertEquals(backlog, messages(first));
      ListenResponse empty = listen.next();
      assertEquals(first.getFirst().getSequence(), empty.getQueueEmpty().getLastSequence(),
          "the last of the own queue sent: the Welcome");
      List<ByteString> live = sendMessages(2);
      assertEquals(live, messages(listen.entries(2)));
    }
  }

  @Test
  void listenKeepsAtMostMaxUnackedEntriesInFlight() throws Exception {
    bob.drain();
    List<ByteString> sent = sendMessages(12);
    try (ListenProbe listen = new ListenProbe(bob, ListenRequest.newBuilder().setMaxUnacked(5).build())) {
      List<QueueEntry> firstFive = listen.entries(5);
      assertEquals(sent.subList(0, 5), messages(firstFive));
      assertNull(listen.received.poll(2, TimeUnit.SECONDS), "more than max_unacked entries in flight");
      bob.delivery().ack(TestMember.ackOf(firstFive.subList(0, 3)));
      assertEquals(sent.subList(5, 8), messages(listen.entries(3)));
      assertNull(listen.received.poll(1, TimeUnit.SECONDS), "more than max_unacked entries in flight");
      // Acknowledging the first five leaves three in flight: room for two more.
      bob.delivery().ack(TestMember.ackOf(firstFive));
      List<QueueEntry> next = listen.entries(2);
      assertEquals(sent.subList(8, 10), messages(next));
      assertNull(listen.received.poll(1, TimeUnit.SECONDS), "more than max_unacked entries in flight");
      bob.delivery().ack(TestMember.ackOf(next));
      assertEquals(sent.subList(10, 12), messages(listen.entries(2)));
      assertEquals(ListenResponse.ItemCase.QUEUE_EMPTY, listen.next().getItemCase());
    }
  }

  @Test
  void anIdleStreamGetsKeepAlivesAndEndsWhenItsTokenExpires() throws Exception {
    bob.drain();
    try (ListenProbe listen = new ListenProbe(bob, ListenRequest.newBuilder().setKeepAliveSeconds(5).build())) {
      assertEquals(ListenResponse.ItemCase.QUEUE_EMPTY, listen.next().getItemCase());
      server.clock.advance(Duration.ofSeconds(6));
      assertEquals(ListenResponse.ItemCase.KEEP_ALIVE, listen.next().getItemCase());
      server.clock.advance(server.config.settings(AuthSettings.SECTION).accessTokenTtl());
      StatusRuntimeException end = listen.end();
      assertEquals(Status.Code.UNAUTHENTICATED, end.getStatus().getCode());
      assertEquals(ErrorReason.TOKEN_EXPIRED.name(), ErrorStatus.errorInfo(end).orElseThrow()
          .getReason());
    }
  }

  @Test
  void aDeletedClientsStreamEndsRevoked() throws Exception {
    try (ListenProbe listen = ListenProbe.open(bob)) {
      listen.entries(1);
      server.auth(bob.token).deleteClient(DeleteClientRequest.newBuilder().setClientId(bob.id()).build());
      StatusRuntimeException end = listen.end();
      assertEquals(Status.Code.UNAUTHENTICATED, end.getStatus().getCode());
      assertEquals(ErrorReason.TOKEN_REVOKED.name(), ErrorStatus.errorInfo(end).orElseThrow()
          .getReason());
    }
  }

  @Test
  void aSecondListenOfTheSameClientTakesOver() throws Exception {
    try (ListenProbe first = ListenProbe.open(bob)) {
      assertTrue(first.entries(1).getFirst().hasWelcome());
      assertEquals(ListenResponse.ItemCase.QUEUE_EMPTY, first.next().getItemCase());
      try (ListenProbe second = ListenProbe.open(bob)) {
        StatusRuntimeException end = first.end();
        assertEquals(Status.Code.ABORTED, end.getStatus().getCode());
        assertEquals(ErrorReason.LISTEN_TAKEN_OVER.name(), ErrorStatus.errorInfo(end).orElseThrow().getReason());
        assertTrue(second.entries(1).getFirst().hasWelcome());
        assertEquals(ListenResponse.ItemCase.QUEUE_EMPTY, second.next().getItemCase());
        assertFalse(second.ended.isDone());
      }
    }
  }

  @Test
  void ofListensStartedTogetherExactlyOneStays() throws Exception {
    for (int round = 0; round < 20; round++) {
      List<ListenProbe> probes = new ArrayList<>();
      try {
        for (int i = 0; i < 3; i++) {
          probes.add(ListenProbe.open(bob));
        }
        Eventually.until("two of three streams end in round " + round, Duration.ofSeconds(ListenProbe.WAIT_SECONDS),
            () -> probes.stream().filter(p -> p.ended.isDone()).count() >= 2);
        List<ListenProbe> live = probes.stream().filter(p -> !p.ended.isDone()).toList();
        assertEquals(1, live.size(), "streams still open in round " + round);
        for (ListenProbe ended : probes.stream().filter(p -> p.ended.isDone()).toList()) {
          assertEquals(ErrorReason.LISTEN_TAKEN_OVER.name(), ErrorStatus.errorInfo(ended.end()).orElseThrow().getReason());
        }
        ListenProbe stayed = live.getFirst();
        assertTrue(stayed.entries(1).getFirst().hasWelcome());
        assertEquals(ListenResponse.ItemCase.QUEUE_EMPTY, stayed.next().getItemCase());
        assertFalse(stayed.ended.isDone());
      } finally {
        probes.forEach(ListenProbe::close);
      }
    }
  }
}
