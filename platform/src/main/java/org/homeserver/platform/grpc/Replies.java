package org.homeserver.platform.grpc;

import io.grpc.stub.StreamObserver;

/** Ends a unary call with its one answer. */
public final class Replies {
  private Replies() {}

  public static <T> void reply(StreamObserver<T> response, T value) {
    response.onNext(value);
    response.onCompleted();
  }
}
