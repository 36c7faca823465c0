package org.homeserver.mls.group;

/** A GroupInfo, proposal or commit that a {@link PublicGroupState} refuses: which rule it breaks, and how. */
public final class GroupStateException extends Exception {
  private final GroupRule rule;
  private final String detail;

  public GroupStateException(GroupRule rule, String detail) {
    super(rule + ": " + detail, null, false, false);
    this.rule = rule;
    this.detail = detail;
  }

  public GroupRule rule() {
    return rule;
  }

  /** What exactly is wrong, in one sentence; for {@link GroupRule#TREE} and {@link GroupRule#KEY_PACKAGE} it starts with that rule. */
  public String detail() {
    return detail;
  }
}
