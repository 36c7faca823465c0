package org.homeserver.mls.validation;

/** A KeyPackage that decodes but breaks one rule: which, and what exactly. */
public final class InvalidKeyPackageException extends Exception {
  private final KeyPackageRule rule;

  public InvalidKeyPackageException(KeyPackageRule rule, String detail) {
    super(rule + ": " + detail, null, false, false);
    this.rule = rule;
  }

  public KeyPackageRule rule() {
    return rule;
  }
}
