package org.homeserver.mls.conformance;

/**
 * What a server's group state made of one epoch of a {@link PassiveClientCase}: the join (the
 * epoch of the Welcome's GroupInfo) or a commit (the epoch it starts), and the copy of its
 * GroupInfo or commit with one bit of the signature flipped.
 *
 * @param caseIndex   the case's position in its file
 * @param cipherSuite the suite the case names
 * @param where       "epoch N", or "join" / "commit N" (from 1) when the Welcome gave no epoch
 * @param outcome     accepted, refused, not checked (after a refusal) or skipped (PrivateMessages)
 * @param tampering   what became of the tampered copy
 */
public record EpochResult(int caseIndex, int cipherSuite, String where, Outcome outcome, Tampering tampering) {

  /** Whether the epoch was followed. */
  public sealed interface Outcome {}

  /** The GroupInfo or the epoch's proposals and commit were accepted. */
  public record Accepted(boolean joined) implements Outcome {}

  /** Refused: the rule and message of the refusal, or why the input does not decode. */
  public record Refused(String reason) implements Outcome {}

  /** Not checked because an earlier epoch of the case was refused; counts as not accepted. */
  public record NotChecked(String reason) implements Outcome {}

  /** A PrivateMessage (or an epoch after one): a server cannot read it, so this is no failure. */
  public record Skipped(String reason) implements Outcome {}

  /** What became of the copy with a flipped signature bit, which must be refused. */
  public enum Tampering { REFUSED, ACCEPTED, NOT_TRIED }

  /** One line for people: {@code case 3 suite 1 epoch 5: accepted, flipped commit signature refused}. */
  public String line() {
    String head = "case " + caseIndex + " suite " + cipherSuite + " " + where + ": ";
    String what = outcome instanceof Accepted(boolean joined) && joined ? "GroupInfo" : "commit";
    String tampered = switch (tampering) {
      case REFUSED -> ", flipped " + what + " signature refused";
      case ACCEPTED -> ", but the " + what + " with a flipped signature bit was ACCEPTED too";
      case NOT_TRIED -> "";
    };
    return head + switch (outcome) {
      case Accepted(boolean joined) -> (joined ? "accepted (joined)" : "accepted") + tampered;
      case Refused(String reason) -> "refused: " + reason;
      case NotChecked(String reason) -> "not checked: " + reason;
      case Skipped(String reason) -> "skipped: " + reason;
    };
  }
}
