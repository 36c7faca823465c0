package org.homeserver.platform.grpc;

import com.google.protobuf.Timestamp;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import org.homeserver.api.common.v1.PageRequest;
import org.homeserver.api.common.v1.PageResponse;
import org.homeserver.platform.errors.Refusal;

/** Conversions every gRPC adapter needs: times, and the paging rules of common.proto. */
public final class Protos {
  public static final int DEFAULT_PAGE_SIZE = Math.toIntExact(DeclaredRules.zeroMeans(
      org.homeserver.api.common.v1.PageRequest.getDescriptor(), org.homeserver.api.common.v1.PageRequest.PAGE_SIZE_FIELD_NUMBER));

  private Protos() {}

  public static Timestamp timestamp(Instant instant) {
    return Timestamp.newBuilder().setSeconds(instant.getEpochSecond()).setNanos(instant.getNano()).build();
  }

  /** The page size asked for (its range is PageRequest's rule): 0 means the default. */
  public static Instant instant(Timestamp timestamp) {
    return Instant.ofEpochSecond(timestamp.getSeconds(), timestamp.getNanos());
  }

  public static int pageSize(PageRequest page) {
    return page.getPageSize() == 0 ? DEFAULT_PAGE_SIZE : page.getPageSize();
  }

  /** The position a page token carries ("" for the first page). */
  public static String pagePosition(PageRequest page) {
    try {
      return new String(Base64.getUrlDecoder().decode(page.getPageToken()), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw Refusal.invalid("page.page_token is not a token this server gave out");
    }
  }

  /** The response for a page that ended at {@code lastPosition}; empty token when the page was not full. */
  public static PageResponse nextPage(boolean full, String lastPosition) {
    return PageResponse.newBuilder()
        .setNextPageToken(full ? Base64.getUrlEncoder().withoutPadding()
            .encodeToString(lastPosition.getBytes(StandardCharsets.UTF_8)) : "")
        .build();
  }
}
