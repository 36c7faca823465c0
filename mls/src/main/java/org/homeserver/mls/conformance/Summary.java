package org.homeserver.mls.conformance;

import java.util.Collection;

/**
 * The totals of a conformance run: epochs accepted of those checked (skipped ones are not checked),
 * tampered copies refused of those tried.
 */
public record Summary(int accepted, int checked, int tamperedRefused, int tamperedTried, int skipped) {

  public static Summary of(Collection<EpochResult> results) {
    int accepted = 0;
    int checked = 0;
    int refused = 0;
    int tried = 0;
    int skipped = 0;
    for (EpochResult r : results) {
      switch (r.outcome()) {
        case EpochResult.Skipped _ -> skipped++;
        case EpochResult.Accepted _ -> {
          accepted++;
          checked++;
        }
        case EpochResult.Refused _, EpochResult.NotChecked _ -> checked++;
      }
      if (r.tampering() != EpochResult.Tampering.NOT_TRIED) {
        tried++;
      }
      if (r.tampering() == EpochResult.Tampering.REFUSED) {
        refused++;
      }
    }
    return new Summary(accepted, checked, refused, tried, skipped);
  }

  /** Every checked epoch accepted and every tampered copy refused. */
  public boolean passed() {
    return accepted == checked && tamperedRefused == tamperedTried;
  }

  /** {@code N of M epochs accepted, K tampered refused}, then {@code , S skipped (PrivateMessage)} if any were. */
  public String line() {
    return accepted + " of " + checked + " epochs accepted, " + tamperedRefused + " tampered refused"
        + (skipped > 0 ? ", " + skipped + " skipped (PrivateMessage)" : "");
  }
}
