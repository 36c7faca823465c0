package org.homeserver.launcher;

import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import org.homeserver.api.admin.v1.AdminServiceGrpc;
import org.homeserver.api.admin.v1.AdminServiceGrpc.AdminServiceBlockingStub;
import org.homeserver.api.admin.v1.CreateInviteRequest;
import org.homeserver.api.admin.v1.DeleteUserRequest;
import org.homeserver.api.admin.v1.GetStatusRequest;
import org.homeserver.api.admin.v1.GetStatusResponse;
import org.homeserver.api.admin.v1.GetUserRequest;
import org.homeserver.api.admin.v1.GetUserResponse;
import org.homeserver.api.admin.v1.Invite;
import org.homeserver.api.admin.v1.ListInvitesRequest;
import org.homeserver.api.admin.v1.ListInvitesResponse;
import org.homeserver.api.admin.v1.ListUsersRequest;
import org.homeserver.api.admin.v1.ListUsersResponse;
import org.homeserver.api.admin.v1.SuspendUserRequest;
import org.homeserver.api.admin.v1.UnsuspendUserRequest;
import org.homeserver.api.admin.v1.UserSummary;
import org.homeserver.api.common.v1.PageRequest;
import org.homeserver.api.federation.v1.FederationAdminServiceGrpc;
import org.homeserver.api.common.v1.PageResponse;
import org.homeserver.platform.config.HomeserverConfig;
import org.homeserver.platform.grpc.BearerTokens;
import org.homeserver.platform.grpc.ErrorStatus;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code homeserver admin ...}: the operator's commands, a client of the admin API. */
@Command(name = "admin", description = "Manage a running homeserver through its admin API.",
    subcommands = {AdminCommands.Status.class, AdminCommands.UsersCommand.class, AdminCommands.Invites.class,
        FederationCommands.class})
final class AdminCommands {
  @ParentCommand
  Main main;

  @Spec
  CommandSpec spec;

  @Option(names = "--address", paramLabel = "HOST:PORT",
      description = "The admin API (default: admin.host and admin.port of the configuration).")
  String address;

  @Option(names = "--token", description = "The admin token (default: admin.token, else <data-dir>/admin-token).")
  String token;

  /** Runs {@code work} against the admin API; prints the server's error and exits 1 on failure. */
  int call(AdminCall work) throws Exception {
    return onAdminPort(channel -> work.run(AdminServiceGrpc.newBlockingStub(channel)));
  }

  /** As {@link #call}, against the federation admin API on the same port. */
  int callFederation(FederationAdminCall work) throws Exception {
    return onAdminPort(channel -> work.run(FederationAdminServiceGrpc.newBlockingStub(channel)));
  }

  private int onAdminPort(Consumer<io.grpc.Channel> work) throws Exception {
    HomeserverConfig config = main.config(Map.of());
    String target = address != null ? address
        : ("0.0.0.0".equals(config.admin().host()) ? "127.0.0.1" : config.admin().host()) + ":" + config.admin().port();
    String secret = token != null ? token : AdminToken.read(config).orElseThrow(() -> new IllegalStateException(
        "no admin token: set admin.token, pass --token, or run the server once to generate " + AdminToken.file(config)));
    ManagedChannel channel = NettyChannelBuilder.forTarget(target).usePlaintext().build();
    try {
      work.accept(ClientInterceptors.intercept(channel, new io.grpc.ClientInterceptor() {
        @Override
        public <Q, R> io.grpc.ClientCall<Q, R> interceptCall(io.grpc.MethodDescriptor<Q, R> method,
            io.grpc.CallOptions options, io.grpc.Channel next) {
          return next.newCall(method, options.withCallCredentials(BearerTokens.credentials(secret))
              .withDeadlineAfter(30, TimeUnit.SECONDS));
        }
      }));
      return 0;
    } catch (StatusRuntimeException e) {
      String reason = ErrorStatus.errorInfo(e).map(i -> " " + i.getReason()).orElse("");
      spec.commandLine().getErr().println("error: " + e.getStatus().getCode() + reason + ": "
          + e.getStatus().getDescription());
      return 1;
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  PrintWriter out() {
    return spec.commandLine().getOut();
  }

  /** Asks for pages of 500 until the server says there are no more, handing each to {@code print}. */
  static <R> void everyPage(Function<PageRequest, R> fetch, Function<R, PageResponse> pageOf, Consumer<R> print) {
    String token = "";
    do {
      R response = fetch.apply(PageRequest.newBuilder().setPageSize(500).setPageToken(token).build());
      print.accept(response);
      token = pageOf.apply(response).getNextPageToken();
    } while (!token.isEmpty());
  }

  interface AdminCall {
    void run(AdminServiceBlockingStub admin);
  }

  interface FederationAdminCall {
    void run(FederationAdminServiceGrpc.FederationAdminServiceBlockingStub admin);
  }

  static String describe(UserSummary u) {
    return u.getUserId() + "  uuid=" + u.getUserUuid() + "  state=" + u.getState().name().replace("USER_STATE_", "")
        .toLowerCase(java.util.Locale.ROOT) + "  clients=" + u.getClientCount() + "  created="
        + Instant.ofEpochSecond(u.getCreatedAt().getSeconds());
  }

  @Command(name = "status", description = "Show the homeserver's status.")
  static final class Status implements Callable<Integer> {
    @ParentCommand
    AdminCommands admin;

    @Override
    public Integer call() throws Exception {
      return admin.call(stub -> {
        GetStatusResponse s = stub.getStatus(GetStatusRequest.getDefaultInstance());
        admin.out().println("domain:      " + s.getDomain());
        admin.out().println("version:     " + s.getServerVersion());
        admin.out().println("started:     " + Instant.ofEpochSecond(s.getStartedAt().getSeconds()));
        admin.out().println("services:    " + String.join(", ", s.getServicesList()));
        admin.out().println("database:    " + s.getDatabase() + (s.getDatabaseOk() ? " (ok)" : " (FAILING)"));
        admin.out().println("signalling:  " + s.getSignalling() + (s.getSignallingOk() ? " (ok)" : " (FAILING)"));
        admin.out().println("users:       " + s.getUserCount());
        admin.out().println("clients:     " + s.getClientCount());
        for (var d : s.getDependenciesList()) {
          admin.out().println("dependency:  " + d.getName() + (d.getUp() ? " up" : " DOWN") + " since "
              + Instant.ofEpochSecond(d.getSince().getSeconds())
              + (d.getUp() ? "" : d.getService().isEmpty() ? " (degraded)" : " (" + d.getService() + " NOT_SERVING)"));
        }
      });
    }
  }

  @Command(name = "users", description = "List, show, suspend, unsuspend or delete users.",
      subcommands = {UsersCommand.ListUsers.class, UsersCommand.Show.class, UsersCommand.Suspend.class,
          UsersCommand.Unsuspend.class, UsersCommand.Delete.class})
  static final class UsersCommand {
    @ParentCommand
    AdminCommands admin;

    @Command(name = "list", description = "List every user, in handle order.")
    static final class ListUsers implements Callable<Integer> {
      @ParentCommand
      UsersCommand users;

      @Override
      public Integer call() throws Exception {
        return users.admin.call(stub -> everyPage(
            page -> stub.listUsers(ListUsersRequest.newBuilder().setPage(page).build()),
            ListUsersResponse::getPage,
            response -> response.getUsersList().forEach(u -> users.admin.out().println(describe(u)))));
      }
    }

    /** A command on one user; USER is a handle, alice@domain, a user id or a UUID. */
    abstract static class OnUser implements Callable<Integer> {
      @ParentCommand
      UsersCommand users;

      @Parameters(paramLabel = "USER", description = "Handle, user id (mimi://...), alice@domain or UUID.")
      String user;

      @Override
      public Integer call() throws Exception {
        return users.admin.call(stub -> run(stub, users.admin.out()));
      }

      abstract void run(AdminServiceBlockingStub stub, PrintWriter out);
    }

    @Command(name = "show", description = "Show one user and its clients.")
    static final class Show extends OnUser {
      @Override
      void run(AdminServiceBlockingStub stub, PrintWriter out) {
        GetUserResponse r = stub.getUser(GetUserRequest.newBuilder().setUser(user).build());
        out.println(describe(r.getUser()));
        r.getClientsList().forEach(c -> out.println("  client " + c.getClientId() + "  "
            + c.getSignatureScheme() + (c.getLabel().isEmpty() ? "" : "  \"" + c.getLabel() + "\"")));
      }
    }

    @Command(name = "suspend", description = "Suspend a user: its tokens stop working at once.")
    static final class Suspend extends OnUser {
      @Override
      void run(AdminServiceBlockingStub stub, PrintWriter out) {
        out.println(describe(stub.suspendUser(SuspendUserRequest.newBuilder().setUser(user).build()).getUser()));
      }
    }

    @Command(name = "unsuspend", description = "Lift a user's suspension.")
    static final class Unsuspend extends OnUser {
      @Override
      void run(AdminServiceBlockingStub stub, PrintWriter out) {
        out.println(describe(stub.unsuspendUser(UnsuspendUserRequest.newBuilder().setUser(user).build()).getUser()));
      }
    }

    @Command(name = "delete", description = "Delete a user and its clients; its tokens stop working at once.")
    static final class Delete extends OnUser {
      @Override
      void run(AdminServiceBlockingStub stub, PrintWriter out) {
        stub.deleteUser(DeleteUserRequest.newBuilder().setUser(user).build());
        out.println("deleted " + user);
      }
    }
  }

  @Command(name = "invites", description = "Create or list invite tokens (auth.registration: invite).",
      subcommands = {Invites.Create.class, Invites.ListInvites.class})
  static final class Invites {
    @ParentCommand
    AdminCommands admin;

    static String describe(Invite i) {
      return i.getToken() + "  expires=" + Instant.ofEpochSecond(i.getExpiresAt().getSeconds())
          + (i.getNote().isEmpty() ? "" : "  note=\"" + i.getNote() + "\"");
    }

    @Command(name = "create", description = "Create a single-use invite token.")
    static final class Create implements Callable<Integer> {
      @ParentCommand
      Invites invites;

      @Option(names = "--valid-for", description = "How long it is valid, e.g. P7D or PT12H (ISO-8601; default 7 days).")
      Duration validFor;

      @Option(names = "--note", description = "Who the invite is for.")
      String note = "";

      @Override
      public Integer call() throws Exception {
        return invites.admin.call(stub -> invites.admin.out().println(describe(stub.createInvite(CreateInviteRequest.newBuilder()
            .setValidForSeconds(validFor == null ? 0 : validFor.toSeconds()).setNote(note).build()).getInvite())));
      }
    }

    @Command(name = "list", description = "List unused invites, newest first.")
    static final class ListInvites implements Callable<Integer> {
      @ParentCommand
      Invites invites;

      @Override
      public Integer call() throws Exception {
        return invites.admin.call(stub -> everyPage(
            page -> stub.listInvites(ListInvitesRequest.newBuilder().setPage(page).build()),
            ListInvitesResponse::getPage,
            response -> response.getInvitesList().forEach(i -> invites.admin.out().println(describe(i)))));
      }
    }
  }
}
