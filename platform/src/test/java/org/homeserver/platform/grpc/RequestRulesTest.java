package org.homeserver.platform.grpc;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.Message;
import com.google.rpc.BadRequest;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.homeserver.api.admin.v1.Admin;
import org.homeserver.api.auth.v1.Auth;
import org.homeserver.api.auth.v1.AuthInternal;
import org.homeserver.api.auth.v1.ChangePasswordRequest;
import org.homeserver.api.auth.v1.RegisterClientRequest;
import org.homeserver.api.auth.v1.RegisterUserRequest;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.api.common.v1.PageRequest;
import org.homeserver.api.delivery.v1.CommitBundle;
import org.homeserver.api.delivery.v1.CreateGroupRequest;
import org.homeserver.api.delivery.v1.Delivery;
import org.homeserver.api.delivery.v1.DeliveryInternal;
import org.homeserver.api.delivery.v1.AckRequest;
import org.homeserver.api.delivery.v1.FetchRequest;
import org.homeserver.api.delivery.v1.GroupPosition;
import org.homeserver.api.delivery.v1.ListenRequest;
import org.homeserver.api.delivery.v1.SendRequest;
import org.homeserver.api.directory.v1.Directory;
import org.homeserver.api.directory.v1.DirectoryInternal;
import org.homeserver.api.directory.v1.DirectoryServiceGrpc;
import org.homeserver.api.directory.v1.ListConnectionRequestsRequest;
import org.homeserver.api.directory.v1.ListConnectionsRequest;
import org.homeserver.api.directory.v1.RequestDirection;
import org.homeserver.api.directory.v1.SearchUsersRequest;
import org.homeserver.api.directory.v1.SetDisplayNameRequest;
import org.homeserver.api.directory.v1.SetDisplayNameResponse;
import org.homeserver.api.federation.v1.Federation;
import org.homeserver.api.federation.v1.FederationAdmin;
import org.homeserver.api.federation.v1.FederationInternal;
import org.homeserver.api.keypackage.v1.ClaimKeyPackagesRequest;
import org.homeserver.api.keypackage.v1.Keypackage;
import org.homeserver.api.keypackage.v1.KeypackageInternal;
import org.homeserver.api.keypackage.v1.PublishKeyPackagesRequest;
import org.homeserver.api.notifier.v1.ApnsDevice;
import org.homeserver.api.notifier.v1.FcmDevice;
import org.homeserver.api.notifier.v1.NotificationKind;
import org.homeserver.api.notifier.v1.NotificationPolicy;
import org.homeserver.api.notifier.v1.Notifier;
import org.homeserver.api.notifier.v1.NotifierInternal;
import org.homeserver.api.notifier.v1.RegisterEndpointRequest;
import org.homeserver.api.notifier.v1.SetDefaultPolicyRequest;
import org.homeserver.api.notifier.v1.Webhook;
import org.homeserver.platform.errors.Refusal;
import org.junit.jupiter.api.Test;

/**
 * The request rules the .proto files declare, as the interceptor enforces them: each broken rule
 * answers with the field's own reason (or INVALID_ARGUMENT), names the field, and stops the request
 * before its handler.
 */
class RequestRulesTest {
  private static final String KEY = UUID.randomUUID().toString();

  private static Refusal refused(Message request) {
    return assertThrows(Refusal.class, () -> RequestRulesInterceptor.checkRules(request));
  }

  private static void admitted(Message request) {
    assertDoesNotThrow(() -> RequestRulesInterceptor.checkRules(request));
  }

  private static Refusal refused(Message request, ErrorReason reason, String field) {
    Refusal refusal = refused(request);
    assertEquals(reason, refusal.reason(), refusal.getMessage());
    assertEquals(field, refusal.metadata().get("field"), refusal.getMessage());
    return refusal;
  }

  private static SetDisplayNameRequest displayName(String name) {
    return SetDisplayNameRequest.newBuilder().setDisplayName(name).build();
  }

  @Test
  void aDisplayNameTooLongIsDisplayNameInvalidHoweverLong() {
    // The field's own rule, not the common 1024-byte limit of strings, answers a 10 kB name.
    for (String name : List.of("x".repeat(65), "x".repeat(10_000), "é".repeat(600))) {
      refused(displayName(name), ErrorReason.DISPLAY_NAME_INVALID, "display_name");
    }
    admitted(displayName("x".repeat(64)));
  }

  @Test
  void aDisplayNameIsNotBlankAndHasNoControlOrFormatCharacters() {
    for (String name : List.of("", "   ", "tab\there", "nul\0", "bidi\u202Eoverride", "\u00A0")) {
      refused(displayName(name), ErrorReason.DISPLAY_NAME_INVALID, "display_name");
    }
    for (String name : List.of("  Dave ", "Zoë", "\uD83D\uDC69\u200D\uD83D\uDCBB", "李小龍")) {
      admitted(displayName(name));
    }
  }

  @Test
  void patternsAnswerTheFieldsReason() {
    for (String handle : List.of("Alice", "al", "x".repeat(33), "-alice", "a\0lice", "x".repeat(2000))) {
      refused(RegisterUserRequest.newBuilder().setHandle(handle).setPassword("correct horse").build(),
          ErrorReason.HANDLE_INVALID, "handle");
    }
    admitted(RegisterUserRequest.newBuilder().setHandle("alice.b_c-9").setPassword("correct horse").build());
    refused(SearchUsersRequest.newBuilder().setHandlePrefix("ab").build(), ErrorReason.INVALID_ARGUMENT,
        "handle_prefix");
  }

  @Test
  void aSharedRuleIsDeclaredOnceAndAnswersEachFieldsReason() {
    String tooShort = "123456789";
    refused(RegisterUserRequest.newBuilder().setHandle("alice").setPassword(tooShort).build(),
        ErrorReason.PASSWORD_INVALID, "password");
    refused(ChangePasswordRequest.newBuilder().setCurrentPassword("correct horse").setNewPassword("é".repeat(513))
        .build(), ErrorReason.PASSWORD_INVALID, "new_password");
    // A password sent to be checked that no password can be is simply wrong.
    refused(ChangePasswordRequest.newBuilder().setCurrentPassword(tooShort).setNewPassword("correct horse").build(),
        ErrorReason.WRONG_CREDENTIALS, "current_password");
    refused(RegisterClientRequest.newBuilder().setHandle("alice").setPassword("correct horse")
        .setIdempotencyKey("too-short").build(), ErrorReason.INVALID_ARGUMENT, "idempotency_key");
    admitted(RegisterClientRequest.newBuilder().setHandle("alice").setPassword("é".repeat(512))
        .setIdempotencyKey(KEY).build());
  }

  @Test
  void rangesOfIntegersIncludingNestedFields() {
    refused(FetchRequest.newBuilder().setLimit(1001).build(), ErrorReason.INVALID_ARGUMENT, "limit");
    refused(FetchRequest.newBuilder().setLimit(-1).build(), ErrorReason.INVALID_ARGUMENT, "limit");
    admitted(FetchRequest.newBuilder().setLimit(1000).build());
    refused(ListenRequest.newBuilder().setKeepAliveSeconds(4).build(), ErrorReason.INVALID_ARGUMENT,
        "keep_alive_seconds");
    admitted(ListenRequest.newBuilder().setKeepAliveSeconds(0).setMaxUnacked(1000).build());
    refused(AckRequest.newBuilder().addGroups(GroupPosition.newBuilder().setUpToSequence(1)).build(),
        ErrorReason.INVALID_ARGUMENT, "groups[0].group_id");
    refused(ListConnectionsRequest.newBuilder().setPage(PageRequest.newBuilder().setPageSize(501)).build(),
        ErrorReason.INVALID_ARGUMENT, "page.page_size");
    refused(SetDefaultPolicyRequest.newBuilder().setPolicy(NotificationPolicy.newBuilder()
        .setKind(NotificationKind.NOTIFICATION_KIND_ALERT).setTtlSeconds(2_419_201)).build(),
        ErrorReason.INVALID_ARGUMENT, "policy.ttl_seconds");
  }

  @Test
  void enumsMustBeDefinedAndSetWhereRequired() {
    refused(ListConnectionRequestsRequest.getDefaultInstance(), ErrorReason.INVALID_ARGUMENT, "direction");
    refused(ListConnectionRequestsRequest.newBuilder().setDirectionValue(7).build(), ErrorReason.INVALID_ARGUMENT,
        "direction");
    admitted(ListConnectionRequestsRequest.newBuilder().setDirection(RequestDirection.REQUEST_DIRECTION_INCOMING)
        .build());
    refused(SetDefaultPolicyRequest.newBuilder().setPolicy(NotificationPolicy.newBuilder().setUrgencyValue(99))
        .build(), ErrorReason.INVALID_ARGUMENT, "policy.kind");
    refused(SetDefaultPolicyRequest.getDefaultInstance(), ErrorReason.INVALID_ARGUMENT, "policy");
  }

  @Test
  void requiredFieldsAndOneofsAreInvalidArgumentWhateverTheFieldsReason() {
    ByteString message = ByteString.copyFrom(new byte[10]);
    refused(SendRequest.newBuilder().setMlsMessage(message).build(), ErrorReason.INVALID_ARGUMENT,
        "idempotency_key");
    refused(SendRequest.newBuilder().setIdempotencyKey(KEY).build(), ErrorReason.INVALID_ARGUMENT, "content");
    refused(SendRequest.newBuilder().setIdempotencyKey(KEY).setCommitBundle(CommitBundle.newBuilder()
        .setWelcome(message)).build(), ErrorReason.INVALID_ARGUMENT, "commit_bundle.commit");
    admitted(SendRequest.newBuilder().setIdempotencyKey(KEY).setMlsMessage(message).build());
    refused(RegisterEndpointRequest.getDefaultInstance(), ErrorReason.INVALID_ARGUMENT, "address");
  }

  @Test
  void repeatedFieldsHaveTheirCounts() {
    ByteString one = ByteString.copyFrom(new byte[] {1});
    refused(PublishKeyPackagesRequest.getDefaultInstance(), ErrorReason.INVALID_ARGUMENT, "key_packages");
    refused(PublishKeyPackagesRequest.newBuilder().addAllKeyPackages(Collections.nCopies(101, one)).build(),
        ErrorReason.INVALID_ARGUMENT, "key_packages");
    admitted(PublishKeyPackagesRequest.newBuilder().addAllKeyPackages(Collections.nCopies(100, one)).build());
    refused(ClaimKeyPackagesRequest.newBuilder().addAllClientIds(Collections.nCopies(101, "c")).build(),
        ErrorReason.INVALID_ARGUMENT, "client_ids");
  }

  @Test
  void bytesLengthsAndMessageSizesAnswerWithTheLimit() {
    refused(CreateGroupRequest.getDefaultInstance(), ErrorReason.INVALID_ARGUMENT, "group_id");
    refused(CreateGroupRequest.newBuilder().setGroupId(ByteString.copyFrom(new byte[257])).build(),
        ErrorReason.INVALID_ARGUMENT, "group_id");
    admitted(CreateGroupRequest.newBuilder().setGroupId(ByteString.copyFrom(new byte[256]))
        .setGroupInfo(ByteString.copyFrom(new byte[1])).build());
    refused(CreateGroupRequest.newBuilder().setGroupId(ByteString.copyFrom(new byte[256])).build(),
        ErrorReason.INVALID_ARGUMENT, "group_info");

    Refusal message = refused(SendRequest.newBuilder().setIdempotencyKey(KEY)
        .setMlsMessage(ByteString.copyFrom(new byte[1024 * 1024 + 1])).build(), ErrorReason.REQUEST_TOO_LARGE,
        "mls_message");
    assertEquals("1048576", message.metadata().get("limit_bytes"));
    ByteString mebibyte = ByteString.copyFrom(new byte[1024 * 1024]);
    Refusal bundle = refused(SendRequest.newBuilder().setIdempotencyKey(KEY).setCommitBundle(CommitBundle.newBuilder()
        .setCommit(mebibyte).setWelcome(mebibyte.concat(mebibyte)).setGroupInfo(mebibyte)).build(),
        ErrorReason.REQUEST_TOO_LARGE, "commit_bundle");
    assertEquals("4194304", bundle.metadata().get("limit_bytes"));
  }

  @Test
  void aRuleOfTheRpcsOwnListIsNamedWithItsDetail() {
    Refusal token = refused(RegisterEndpointRequest.newBuilder().setApns(ApnsDevice.newBuilder()
        .setDeviceToken("g".repeat(64)).setTopic("org.example.chat")).build(), ErrorReason.ENDPOINT_INVALID,
        "apns.device_token");
    assertEquals("ENDPOINT_RULE_TOKEN_MALFORMED", token.metadata().get("rule"));
    Refusal url = refused(RegisterEndpointRequest.newBuilder().setWebhook(Webhook.newBuilder()
        .setUrl("https://example.org/" + "x".repeat(1005))).build(), ErrorReason.ENDPOINT_INVALID, "webhook.url");
    assertEquals("ENDPOINT_RULE_TOO_LONG", url.metadata().get("rule"));
    assertEquals(url.getMessage(), "webhook.url: " + url.metadata().get("detail"));
    refused(RegisterEndpointRequest.newBuilder().setFcm(FcmDevice.newBuilder().setRegistrationToken("a".repeat(1025)))
        .build(), ErrorReason.ENDPOINT_INVALID, "fcm.registration_token");
    admitted(RegisterEndpointRequest.newBuilder().setFcm(FcmDevice.newBuilder().setRegistrationToken("a".repeat(1024)))
        .build());
  }

  @Test
  void stringsWithoutRulesOfTheirOwnShareTheCommonLimitAndNoStringHasNul() {
    refused(RegisterUserRequest.newBuilder().setHandle("alice").setPassword("correct horse")
        .setInviteToken("x".repeat(1025)).build(), ErrorReason.INVALID_ARGUMENT, "invite_token");
    refused(ClaimKeyPackagesRequest.newBuilder().addClientIds("ok").addClientIds("x".repeat(1025)).build(),
        ErrorReason.INVALID_ARGUMENT, "client_ids[1]");
    // NUL breaks a field's own rules too, and so answers its reason.
    refused(RegisterUserRequest.newBuilder().setHandle("alice").setPassword("correct\0horse").build(),
        ErrorReason.PASSWORD_INVALID, "password");
  }

  @Test
  void everyBrokenRuleIsInTheBadRequestAndTheFirstDecides() {
    Refusal refusal = refused(RegisterUserRequest.newBuilder().setHandle("A").setPassword("short")
        .setInviteToken("x".repeat(1025)).build(), ErrorReason.HANDLE_INVALID, "handle");
    assertEquals(List.of("handle", "password", "invite_token"),
        refusal.violations().stream().map(Refusal.FieldViolation::field).toList());
  }

  @Test
  void theRulesOfEveryRequestOfEveryServiceCompile() {
    // Rules compile when a request type is first checked; a broken one would fail that request.
    List<FileDescriptor> files = List.of(Admin.getDescriptor(), Auth.getDescriptor(), AuthInternal.getDescriptor(),
        Delivery.getDescriptor(), DeliveryInternal.getDescriptor(), Directory.getDescriptor(),
        DirectoryInternal.getDescriptor(), Federation.getDescriptor(), FederationAdmin.getDescriptor(),
        FederationInternal.getDescriptor(), Keypackage.getDescriptor(), KeypackageInternal.getDescriptor(),
        Notifier.getDescriptor(), NotifierInternal.getDescriptor());
    int requests = 0;
    for (FileDescriptor file : files) {
      for (ServiceDescriptor service : file.getServices()) {
        for (MethodDescriptor method : service.getMethods()) {
          Message empty = DynamicMessage.getDefaultInstance(method.getInputType());
          try {
            RequestRulesInterceptor.checkRules(empty);
          } catch (Refusal refusedForItsRules) {
            // An empty request may break its rules; what matters is that they could be evaluated.
          }
          requests++;
        }
      }
    }
    assertTrue(requests > 50, requests + " requests");
  }

  /** A directory whose SetDisplayName answers; anything the rules let through reaches it. */
  private static final class CountingDirectory extends DirectoryServiceGrpc.DirectoryServiceImplBase {
    final AtomicInteger calls = new AtomicInteger();

    @Override
    public void setDisplayName(SetDisplayNameRequest request, StreamObserver<SetDisplayNameResponse> response) {
      calls.incrementAndGet();
      response.onNext(SetDisplayNameResponse.getDefaultInstance());
      response.onCompleted();
    }
  }

  @Test
  void overGrpcARefusedRequestNeverReachesItsHandlerAndTheCallerSeesReasonFieldAndBadRequest() throws Exception {
    CountingDirectory directory = new CountingDirectory();
    String name = "request-rules-" + UUID.randomUUID();
    ServiceModule module = new ServiceParts("directory", List.of(), Set.of(), 1 << 20, List.of(directory), List.of(),
        List.of(), List.of());
    Server server = new GrpcServers(new SimpleMeterRegistry()).inProcessInternalServer(name, List.<ServiceModule>of(module));
    ManagedChannel channel = InProcessChannelBuilder.forName(name).build();
    try {
      var stub = DirectoryServiceGrpc.newBlockingStub(channel);
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
          () -> stub.setDisplayName(displayName("x".repeat(10_000))));
      assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
      var info = ErrorStatus.errorInfo(e).orElseThrow();
      assertEquals("DISPLAY_NAME_INVALID", info.getReason());
      assertEquals(Map.of("field", "display_name"), info.getMetadataMap());
      BadRequest badRequest = StatusProto.fromThrowable(e).getDetailsList().stream()
          .filter(any -> any.is(BadRequest.class)).findFirst().orElseThrow().unpack(BadRequest.class);
      assertEquals("display_name", badRequest.getFieldViolations(0).getField());
      assertEquals(0, directory.calls.get());

      stub.setDisplayName(displayName("Dave"));
      assertEquals(1, directory.calls.get());
    } finally {
      channel.shutdownNow();
      server.shutdownNow();
    }
  }
}
