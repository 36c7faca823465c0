package org.homeserver.launcher;

import com.google.protobuf.Timestamp;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.homeserver.api.federation.v1.ChangeFederationPolicyRequest;
import org.homeserver.api.federation.v1.FederationAdminServiceGrpc.FederationAdminServiceBlockingStub;
import org.homeserver.api.federation.v1.FederationMode;
import org.homeserver.api.federation.v1.FederationPolicy;
import org.homeserver.api.federation.v1.GetFederationPolicyRequest;
import org.homeserver.api.federation.v1.ListPeersRequest;
import org.homeserver.api.federation.v1.ListPeersResponse;
import org.homeserver.api.federation.v1.Peer;
import org.homeserver.api.federation.v1.PolicyChange;
import org.homeserver.api.federation.v1.ResolvePeerRequest;
import org.homeserver.api.federation.v1.ResolvePeerResponse;
import org.homeserver.api.federation.v1.RetryPeerRequest;
import org.homeserver.api.federation.v1.SetFederationPolicyRequest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code homeserver admin federation ...}: the federation policy, the peers' state, discovery. */
@Command(name = "federation", description = "Show or change the federation policy and the peers' state.",
    subcommands = {FederationCommands.PolicyCommand.class, FederationCommands.Allow.class,
        FederationCommands.Block.class, FederationCommands.Unblock.class, FederationCommands.Retry.class,
        FederationCommands.Status.class, FederationCommands.Resolve.class})
final class FederationCommands {
  @ParentCommand
  AdminCommands admin;

  int call(AdminCommands.FederationAdminCall work) throws Exception {
    return admin.callFederation(work);
  }

  PrintWriter out() {
    return admin.out();
  }

  static void print(PrintWriter out, FederationPolicy policy) {
    out.println("mode:     " + policy.getMode().name().replace("FEDERATION_MODE_", "").toLowerCase(Locale.ROOT));
    out.println((policy.getMode() == FederationMode.FEDERATION_MODE_OPEN ? "blocked:  " : "allowed:  ")
        + (policy.getDomainsCount() == 0 ? "(none)" : String.join(", ", policy.getDomainsList())));
    out.println("updated:  " + instant(policy.getUpdatedAt()));
  }

  private static Instant instant(Timestamp t) {
    return Instant.ofEpochSecond(t.getSeconds(), t.getNanos());
  }

  @Command(name = "policy", description = "Show the policy, or set it: `policy allowlist a.example b.example`, "
      + "`policy open blocked.example`.")
  static final class PolicyCommand implements Callable<Integer> {
    @ParentCommand
    FederationCommands federation;

    @Parameters(index = "0", arity = "0..1", paramLabel = "MODE", description = "allowlist or open; none: show.")
    String mode;

    @Parameters(index = "1..*", arity = "0..*", paramLabel = "DOMAIN",
        description = "The allowlist (allowlist) or the blocklist (open).")
    List<String> domains = List.of();

    @Override
    public Integer call() throws Exception {
      return federation.call(stub -> {
        if (mode == null) {
          print(federation.out(), stub.getFederationPolicy(GetFederationPolicyRequest.getDefaultInstance()).getPolicy());
          return;
        }
        FederationMode parsed = switch (mode.toLowerCase(Locale.ROOT)) {
          case "allowlist" -> FederationMode.FEDERATION_MODE_ALLOWLIST;
          case "open" -> FederationMode.FEDERATION_MODE_OPEN;
          default -> throw new picocli.CommandLine.ParameterException(federation.admin.spec.commandLine(),
              "MODE is allowlist or open, not " + mode);
        };
        print(federation.out(), stub.setFederationPolicy(SetFederationPolicyRequest.newBuilder().setMode(parsed)
            .addAllDomains(domains).build()).getPolicy());
      });
    }
  }

  /** A command on one domain. */
  abstract static class OnDomain implements Callable<Integer> {
    @ParentCommand
    FederationCommands federation;

    @Parameters(paramLabel = "DOMAIN", description = "A home domain, e.g. other.example.")
    String domain;

    @Override
    public Integer call() throws Exception {
      return federation.call(stub -> run(stub, federation.out()));
    }

    abstract void run(FederationAdminServiceBlockingStub stub, PrintWriter out);

    void change(FederationAdminServiceBlockingStub stub, PrintWriter out, PolicyChange change) {
      print(out, stub.changeFederationPolicy(ChangeFederationPolicyRequest.newBuilder().setDomain(domain)
          .setChange(change).build()).getPolicy());
    }
  }

  @Command(name = "allow", description = "Let a domain federate (adds it to an allowlist, or takes it off the blocklist).")
  static class Allow extends OnDomain {
    @Override
    void run(FederationAdminServiceBlockingStub stub, PrintWriter out) {
      change(stub, out, PolicyChange.POLICY_CHANGE_ALLOW);
    }
  }

  @Command(name = "block", description = "Stop a domain federating (takes it off an allowlist, or adds it to the blocklist).")
  static final class Block extends OnDomain {
    @Override
    void run(FederationAdminServiceBlockingStub stub, PrintWriter out) {
      change(stub, out, PolicyChange.POLICY_CHANGE_BLOCK);
    }
  }

  @Command(name = "unblock", description = "The same as allow.")
  static final class Unblock extends Allow {}

  @Command(name = "retry", description = "Try a domain's waiting outbox entries now, resetting its backoff.")
  static final class Retry extends OnDomain {
    @Override
    void run(FederationAdminServiceBlockingStub stub, PrintWriter out) {
      long depth = stub.retryPeer(RetryPeerRequest.newBuilder().setDomain(domain).build()).getOutboxDepth();
      out.println(domain + ": " + depth + " waiting entries due now");
    }
  }

  @Command(name = "resolve", description = "Run discovery for a domain now and show what it finds and why.")
  static final class Resolve extends OnDomain {
    @Override
    void run(FederationAdminServiceBlockingStub stub, PrintWriter out) {
      ResolvePeerResponse r = stub.resolvePeer(ResolvePeerRequest.newBuilder().setDomain(domain).build());
      r.getStepsList().forEach(step -> out.println("  " + step));
      out.println(domain + ": " + r.getSource().name().replace("PEER_ADDRESS_SOURCE_", "").toLowerCase(Locale.ROOT)
          + (r.getAddressesCount() == 0 ? "" : " -> " + String.join(", ", r.getAddressesList()))
          + (r.getCacheSeconds() > 0 ? " (kept " + r.getCacheSeconds() + " s)" : "")
          + (r.getAllowed() ? "" : "; the policy forbids it"));
    }
  }

  @Command(name = "status", description = "Show each peer's state: policy, address, outbox, last outcomes, backoff.")
  static final class Status implements Callable<Integer> {
    @ParentCommand
    FederationCommands federation;

    @Override
    public Integer call() throws Exception {
      return federation.call(stub -> AdminCommands.everyPage(
          page -> stub.listPeers(ListPeersRequest.newBuilder().setPage(page).build()),
          ListPeersResponse::getPage,
          response -> response.getPeersList().forEach(p -> federation.out().println(describe(p, Instant.now())))));
    }

    static String describe(Peer p, Instant now) {
      StringBuilder line = new StringBuilder(p.getDomain()).append(p.getAllowed() ? "  allowed" : "  FORBIDDEN");
      line.append("  address=").append(p.getAddress().isEmpty() ? "-" : p.getAddress());
      line.append("  queued=").append(p.getOutboxDepth());
      if (p.hasOldestPendingAt()) {
        line.append("  oldest=").append(instant(p.getOldestPendingAt()));
      }
      if (p.hasLastSuccessAt()) {
        line.append("  last-success=").append(instant(p.getLastSuccessAt()));
      }
      if (p.hasLastErrorAt()) {
        // One line per peer, whatever the error's text holds.
        line.append("  last-error=").append(instant(p.getLastErrorAt())).append(" \"")
            .append(p.getLastError().replaceAll("\\s+", " ")).append('"');
      }
      if (p.getConsecutiveFailures() > 0) {
        line.append("  failures=").append(p.getConsecutiveFailures());
      }
      if (p.hasNextAttemptAt()) {
        Duration wait = Duration.between(now, instant(p.getNextAttemptAt()));
        line.append("  next-attempt=").append(instant(p.getNextAttemptAt()))
            .append(wait.isNegative() ? " (due)" : " (backoff " + wait.toSeconds() + " s)");
      }
      return line.toString();
    }
  }
}
