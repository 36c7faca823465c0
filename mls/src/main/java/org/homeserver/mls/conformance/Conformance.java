package org.homeserver.mls.conformance;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.homeserver.mls.codec.MlsDecodeException;
import org.homeserver.mls.conformance.EpochResult.Accepted;
import org.homeserver.mls.conformance.EpochResult.NotChecked;
import org.homeserver.mls.conformance.EpochResult.Outcome;
import org.homeserver.mls.conformance.EpochResult.Refused;
import org.homeserver.mls.conformance.EpochResult.Skipped;
import org.homeserver.mls.conformance.EpochResult.Tampering;
import org.homeserver.mls.group.GroupStateException;
import org.homeserver.mls.group.PublicGroupState;
import org.homeserver.mls.message.GroupInfo;
import org.homeserver.mls.message.MlsMessage;
import org.homeserver.mls.message.PrivateMessage;
import org.homeserver.mls.message.PublicMessage;
import org.homeserver.mls.message.RatchetTree;
import org.homeserver.mls.validation.KeyPackageValidator;
import org.homeserver.mls.welcome.WelcomeDecryptionException;

/**
 * Runs {@link PassiveClientCase}s through a server's {@link PublicGroupState}: join at the Welcome's
 * GroupInfo, then each epoch's proposals and commit, and for the GroupInfo and every commit accepted
 * a copy with one signature bit flipped, which must be refused. An epoch holding a PrivateMessage is
 * skipped with the rest of its case, since a server cannot read it; after a refusal the rest of the
 * case is not checked (the state stays in the refused epoch's predecessor).
 */
public final class Conformance {
  private final KeyPackageValidator keyPackages;

  /** @param keyPackages what the KeyPackages of Add proposals must pass */
  public Conformance(KeyPackageValidator keyPackages) {
    this.keyPackages = keyPackages;
  }

  /** The join, then one result per epoch of {@code c}, in order. */
  public List<EpochResult> check(PassiveClientCase c) {
    List<EpochResult> results = new ArrayList<>();
    GroupInfo groupInfo;
    Optional<RatchetTree> tree;
    try {
      groupInfo = c.groupInfo();
      tree = c.decodedRatchetTree();
    } catch (MlsDecodeException | WelcomeDecryptionException | IllegalArgumentException e) {
      results.add(result(c, "join", new Refused("the Welcome: " + e.getMessage()), Tampering.NOT_TRIED));
      for (int i = 1; i <= c.epochs().size(); i++) {
        results.add(result(c, "commit " + i, new NotChecked("the join was refused"), Tampering.NOT_TRIED));
      }
      return results;
    }
    long joined = groupInfo.groupContext().epoch();
    Optional<PublicGroupState> state = join(c, groupInfo, tree, results);
    for (int i = 0; i < c.epochs().size(); i++) {
      String where = "epoch " + Long.toUnsignedString(joined + i + 1);
      if (state.isEmpty()) {
        results.add(result(c, where, new NotChecked(
            "epoch " + Long.toUnsignedString(joined + i) + " was refused"), Tampering.NOT_TRIED));
        continue;
      }
      Optional<List<PublicMessage>> messages;
      try {
        messages = publicMessages(c.epochs().get(i));
      } catch (MlsDecodeException e) {
        results.add(result(c, where, new Refused(e.getMessage()), Tampering.NOT_TRIED));
        state = Optional.empty();
        continue;
      }
      if (messages.isEmpty()) {
        for (int rest = i; rest < c.epochs().size(); rest++) {
          results.add(result(c, "epoch " + Long.toUnsignedString(joined + rest + 1), new Skipped(rest == i
              ? "a PrivateMessage, which a server cannot read" : "after epoch " + Long.toUnsignedString(joined + i + 1)
              + "'s PrivateMessage"), Tampering.NOT_TRIED));
        }
        break;
      }
      state = follow(c, where, state.get(), messages.get(), results);
    }
    return results;
  }

  private Optional<PublicGroupState> join(PassiveClientCase c, GroupInfo groupInfo, Optional<RatchetTree> tree,
      List<EpochResult> results) {
    String where = "epoch " + Long.toUnsignedString(groupInfo.groupContext().epoch());
    PublicGroupState state;
    try {
      state = PublicGroupState.fromGroupInfo(groupInfo, tree, keyPackages);
    } catch (GroupStateException e) {
      results.add(result(c, where, new Refused(e.getMessage()), Tampering.NOT_TRIED));
      return Optional.empty();
    }
    if (state.suite().code() != c.cipherSuite()) {
      results.add(result(c, where, new Refused("the group's suite is " + state.suite().code() + ", the case names "
          + c.cipherSuite()), Tampering.NOT_TRIED));
      return Optional.empty();
    }
    GroupInfo tampered = new GroupInfo(groupInfo.groupContext(), groupInfo.extensions(), groupInfo.confirmationTag(),
        groupInfo.signer(), flipLastBit(groupInfo.signature()));
    Tampering tampering;
    try {
      PublicGroupState.fromGroupInfo(tampered, tree, keyPackages);
      tampering = Tampering.ACCEPTED;
    } catch (GroupStateException expected) {
      tampering = Tampering.REFUSED;
    }
    results.add(result(c, where, new Accepted(true), tampering));
    return Optional.of(state);
  }

  /** The epoch's proposals then its commit applied to {@code state}: the next epoch's state, or empty if refused. */
  private static Optional<PublicGroupState> follow(PassiveClientCase c, String where, PublicGroupState state,
      List<PublicMessage> messages, List<EpochResult> results) {
    PublicGroupState next = state;
    int proposals = messages.size() - 1;
    for (int p = 0; p < proposals; p++) {
      try {
        next = next.withProposal(messages.get(p));
      } catch (GroupStateException e) {
        results.add(result(c, where, new Refused("proposal " + (p + 1) + ": " + e.getMessage()), Tampering.NOT_TRIED));
        return Optional.empty();
      }
    }
    PublicMessage commit = messages.get(proposals);
    PublicGroupState committed;
    try {
      committed = next.withCommit(commit);
    } catch (GroupStateException e) {
      results.add(result(c, where, new Refused(e.getMessage()), Tampering.NOT_TRIED));
      return Optional.empty();
    }
    PublicMessage tampered = new PublicMessage(commit.content(), flipLastBit(commit.signature()),
        commit.confirmationTag(), commit.membershipTag());
    Tampering tampering;
    try {
      next.withCommit(tampered);
      tampering = Tampering.ACCEPTED;
    } catch (GroupStateException expected) {
      tampering = Tampering.REFUSED;
    }
    results.add(result(c, where, new Accepted(false), tampering));
    return Optional.of(committed);
  }

  /** The epoch's proposals and commit, last; empty if any is a PrivateMessage. */
  private static Optional<List<PublicMessage>> publicMessages(PassiveClientCase.Epoch epoch)
      throws MlsDecodeException {
    List<PublicMessage> messages = new ArrayList<>();
    List<byte[]> all = new ArrayList<>(epoch.proposals());
    all.add(epoch.commit());
    for (int i = 0; i < all.size(); i++) {
      String name = i < epoch.proposals().size() ? "proposal " + (i + 1) : "the commit";
      MlsMessage message;
      try {
        message = MlsMessage.decode(all.get(i));
      } catch (MlsDecodeException e) {
        throw new MlsDecodeException(name + ": " + e.field(), e.offset(), e.reason());
      }
      switch (message.body()) {
        case PublicMessage m -> messages.add(m);
        case PrivateMessage m -> {
          return Optional.empty();
        }
        default -> throw new MlsDecodeException(name, 2, "is a " + message.body().wireFormat().rfcName()
            + ", not a PublicMessage or PrivateMessage");
      }
    }
    return Optional.of(messages);
  }

  /** A copy with the last byte's low bit inverted: inside the value for every suite's signature encoding. */
  private static byte[] flipLastBit(byte[] signature) {
    byte[] copy = signature.clone();
    if (copy.length > 0) {
      copy[copy.length - 1] ^= 1;
    }
    return copy;
  }

  private static EpochResult result(PassiveClientCase c, String where, Outcome outcome, Tampering tampering) {
    return new EpochResult(c.index(), c.cipherSuite(), where, outcome, tampering);
  }
}
