package org.homeserver.keypackage;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.homeserver.api.common.v1.ErrorReason;
import org.homeserver.api.directory.v1.DirectoryInternalServiceGrpc;
import org.homeserver.api.directory.v1.GetRelationshipsRequest;
import org.homeserver.api.directory.v1.Relationship;
import org.homeserver.api.directory.v1.RelationshipInfo;
import org.homeserver.api.directory.v1.SpendClaimRightRequest;
import org.homeserver.platform.errors.Refusal;

/**
 * Claim rights as the directory's internal API states them: connected users may claim, and so may
 * the sender of a pending request once, while its claim right is unspent. A block either way
 * counts as no relationship, but for the request a blocked user sent, which the target holds
 * unseen: that claim is {@link Grant#WITHHELD}, so the blocked user is not told. The directory's own
 * errors (NOT_CONNECTED, CLAIM_RIGHT_USED) reach the caller unchanged.
 */
record DirectoryClaimRights(DirectoryInternalServiceGrpc.DirectoryInternalServiceBlockingStub directory,
                            Duration deadline) implements ClaimRights {
  @Override
  public Grant check(String claimerUserId, String targetUserId) {
    RelationshipInfo info = stub().getRelationships(GetRelationshipsRequest.newBuilder()
        .setUserId(claimerUserId).addOtherUserIds(targetUserId).build()).getRelationships(0);
    if (info.getBlockedByOther()) {
      if (info.getRelationship() == Relationship.RELATIONSHIP_REQUEST_SENT) {
        return Grant.WITHHELD;
      }
      throw notConnected();
    }
    return switch (info.getRelationship()) {
      case RELATIONSHIP_CONNECTED -> Grant.CONNECTED;
      case RELATIONSHIP_REQUEST_SENT -> {
        if (!info.getClaimRightAvailable()) {
          throw Refusal.of(ErrorReason.CLAIM_RIGHT_USED,
              "the claim of your pending request to this user is spent; wait until the request is accepted");
        }
        yield Grant.CLAIM_RIGHT;
      }
      default -> throw notConnected();
    };
  }

  @Override
  public void spend(String claimerUserId, String targetUserId) {
    stub().spendClaimRight(SpendClaimRightRequest.newBuilder()
        .setRequesterUserId(claimerUserId).setTargetUserId(targetUserId).build());
  }

  private static Refusal notConnected() {
    return Refusal.of(ErrorReason.NOT_CONNECTED,
        "claiming this user's KeyPackages needs a connection or a pending request you sent");
  }

  private DirectoryInternalServiceGrpc.DirectoryInternalServiceBlockingStub stub() {
    return directory.withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
  }
}
