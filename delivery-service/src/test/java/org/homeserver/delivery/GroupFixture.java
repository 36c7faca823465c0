package org.homeserver.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.platform.db.ServiceDatabase;
import org.homeserver.platform.errors.Refusal;
import org.homeserver.platform.testing.MutableClock;
import org.homeserver.platform.testing.TestPostgres;
import org.junit.jupiter.api.function.Executable;

/** Groups on a fresh database of the real PostgreSQL. */
final class GroupFixture implements AutoCloseable {
  final ServiceDatabase database;
  final GroupStore store;
  final Groups groups;

  private GroupFixture(int poolSize) {
    this.database = ServiceDatabase.open(TestPostgres.freshDatabase(), "delivery", poolSize);
    this.store = new GroupStore(database.transactions());
    this.groups = new Groups(store, new GroupLogStore(database.transactions()), new MutableClock());
  }

  static GroupFixture start() {
    return new GroupFixture(4);
  }

  static byte[] id(String name) {
    return name.getBytes(StandardCharsets.UTF_8);
  }

  /** Runs {@code call}, asserts it fails with {@code reason}, and returns the error. */
  static Refusal refused(ErrorReason reason, Executable call) {
    Refusal e = assertThrows(Refusal.class, call);
    assertEquals(reason, e.reason(), e.getMessage());
    return e;
  }

  /** Asserts {@code call} fails with WRONG_EPOCH naming {@code current} as the current epoch. */
  static void wrongEpoch(long current, Executable call) {
    Refusal e = refused(ErrorReason.WRONG_EPOCH, call);
    assertEquals(Long.toString(current), e.metadata().get("current_epoch"));
  }

  @Override
  public void close() {
    database.close();
  }
}
