package org.homeserver.mls.validation;

/** A KeyPackage that decodes but breaks one rule: which, and what exactly. */
public final class InvalidKeyPackageException extends Exception {
  private final KeyPackageRule rule;
  private final String detail;

  public InvalidKeyPackageException(KeyPackageRule rule, String detail) {
    super(rule + ": " + detail, null, false, false);
    this.rule = rule;
    this.detail = detail;
  }

  public KeyPackageRule rule() {
    return rule;
  }

  /** What exactly is wrong, in one sentence. */
  public String detail() {
    return detail;
  }
}
