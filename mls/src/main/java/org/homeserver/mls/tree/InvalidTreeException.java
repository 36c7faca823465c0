package org.homeserver.mls.tree;

/** A ratchet tree that decodes but breaks one rule: which, and what exactly. */
public final class InvalidTreeException extends Exception {
  private final TreeRule rule;
  private final String detail;

  public InvalidTreeException(TreeRule rule, String detail) {
    super(rule + ": " + detail, null, false, false);
    this.rule = rule;
    this.detail = detail;
  }

  public TreeRule rule() {
    return rule;
  }

  /** What exactly is wrong, in one sentence. */
  public String detail() {
    return detail;
  }
}
