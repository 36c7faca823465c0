package org.homeserver.notifier.testing;

/** Why a receiver refused a push (answered 400): the reason a test sees in the receiver's rejections. */
public final class InvalidPush extends Exception {
  public InvalidPush(String reason) {
    super(reason);
  }
}
