package org.homeserver.launcher;

import static org.homeserver.launcher.Failures.assertFails;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status.Code;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.api.notifier.v1.Notification;
import org.homeserver.api.notifier.v1.NotifierInternalServiceGrpc;
import org.homeserver.api.notifier.v1.NotifierInternalServiceGrpc.NotifierInternalServiceBlockingStub;
import org.homeserver.api.notifier.v1.NotifyClientsRequest;
import org.homeserver.platform.grpc.ErrorStatus;
import org.homeserver.platform.grpc.SharedTokenInterceptor;
import org.homeserver.platform.testing.TestPostgres;
import org.homeserver.platform.testing.TestRedis;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The notifier's internal API over the network: the compact notifications of NotifyClients, whose
 * elements declare no rules, are checked by the notifier itself, and one bad element refuses all.
 */
class NotifierInternalApiTest {
  private static final String INTERNAL_TOKEN = "internal-token-0123456789abcdefghijklmnop";
  private static TestHomeserver hs;
  private static ManagedChannel channel;
  private static NotifierInternalServiceBlockingStub internal;

  @BeforeAll
  static void start() throws Exception {
    var config = TestHomeserver.configFor(TestPostgres.freshDatabase().jdbcUrl(), Files.createTempDirectory("hs-test"),
        Map.of("redis.url", TestRedis.URL, "redis.key-prefix", "hs-test-" + java.util.UUID.randomUUID() + ":",
            "internal.token", INTERNAL_TOKEN,
            // The auth service asks it only for other domains' AS roots, which this test never asks for.
            "services.federation.address", "127.0.0.1:" + TestHomeserver.freePort()));
    hs = TestHomeserver.start(config, List.of("auth", "notifier"));
    channel = NettyChannelBuilder.forAddress("127.0.0.1", config.internal().port()).usePlaintext()
        .intercept(SharedTokenInterceptor.sending(INTERNAL_TOKEN)).build();
    internal = NotifierInternalServiceGrpc.newBlockingStub(channel);
  }

  @AfterAll
  static void stop() throws Exception {
    channel.shutdownNow();
    hs.close();
  }

  private static Notification.Builder valid() {
    return Notification.newBuilder().setClientUuid(ByteString.copyFrom(new byte[16]))
        .setNotificationId(ByteString.copyFrom(new byte[16])).setCount(1);
  }

  @Test
  void compactNotificationsAreCheckedByTheNotifier() {
    internal.notifyClients(NotifyClientsRequest.newBuilder().addCompact(valid()).build());
    var shortId = assertFails(Code.INVALID_ARGUMENT, ErrorReason.INVALID_ARGUMENT, () -> internal.notifyClients(
        NotifyClientsRequest.newBuilder().addCompact(valid()).addCompact(valid().setClientUuid(ByteString.copyFrom(
            new byte[15]))).build()));
    assertEquals("compact[1].client_uuid", ErrorStatus.errorInfo(shortId).orElseThrow().getMetadataOrThrow("field"));
    var negative = assertFails(Code.INVALID_ARGUMENT, ErrorReason.INVALID_ARGUMENT, () -> internal.notifyClients(
        NotifyClientsRequest.newBuilder().addCompact(valid().setCount(-1)).build()));
    assertEquals("compact[0].count", ErrorStatus.errorInfo(negative).orElseThrow().getMetadataOrThrow("field"));
    assertFails(Code.INVALID_ARGUMENT, ErrorReason.INVALID_ARGUMENT, () -> internal.notifyClients(
        NotifyClientsRequest.newBuilder().addCompact(valid().clearNotificationId()).build()));
  }
}
