package org.homeserver.delivery;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import org.homeserver.platform.errors.Refusal;

/**
 * How far a reader has gone: the last sequence of the client's own queue and of each group's log
 * it has been given (positions it has acknowledged count too: nothing is read below them). Fetch's
 * page token is this, encoded.
 */
public record ReadCursor(long own, Map<ByteString, Long> groups) {
  private static final int VERSION = 1;
  public static final ReadCursor START = new ReadCursor(0, Map.of());

  public ReadCursor {
    groups = Map.copyOf(groups);
  }

  /** Where the cursor stands in a group: 0 if it has not been there. */
  public long in(ByteString group) {
    return groups.getOrDefault(group, 0L);
  }

  /** This cursor moved on past the given positions (never back). */
  public ReadCursor after(long ownSequence, Map<ByteString, Long> groupSequences) {
    Map<ByteString, Long> next = new HashMap<>(groups);
    groupSequences.forEach((group, sequence) -> next.merge(group, sequence, Math::max));
    return new ReadCursor(Math.max(own, ownSequence), next);
  }

  /** The page token: a version, the own position, then each group's id and position. */
  public ByteString encode() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    try {
      out.writeUInt32NoTag(VERSION);
      out.writeUInt64NoTag(own);
      out.writeUInt32NoTag(groups.size());
      for (Map.Entry<ByteString, Long> group : groups.entrySet()) {
        out.writeBytesNoTag(group.getKey());
        out.writeUInt64NoTag(group.getValue());
      }
      out.flush();
    } catch (IOException e) {
      throw new IllegalStateException("writing to memory failed", e);
    }
    return ByteString.copyFrom(bytes.toByteArray());
  }

  /** The cursor of a page token; START for an empty one, INVALID_ARGUMENT for one this server did not give. */
  public static ReadCursor decode(ByteString token) {
    if (token.isEmpty()) {
      return START;
    }
    try {
      CodedInputStream in = token.newCodedInput();
      if (in.readUInt32() != VERSION) {
        throw invalid();
      }
      long own = in.readUInt64();
      int count = in.readUInt32();
      Map<ByteString, Long> groups = new HashMap<>();
      for (int i = 0; i < count; i++) {
        groups.put(in.readBytes(), in.readUInt64());
      }
      if (!in.isAtEnd()) {
        throw invalid();
      }
      return new ReadCursor(own, groups);
    } catch (IOException e) {
      throw invalid();
    }
  }

  private static Refusal invalid() {
    return Refusal.invalidField("page_token", "not a page token this server gave");
  }
}
