package org.homeserver.federation.discovery;

import java.util.List;

/** What a DNS server said when asked for a name's SRV records. */
sealed interface SrvAnswer {

  /** The records found; {@code overTcp} when the UDP answer was truncated and TCP was used instead. */
  record Records(List<SrvRecord> records, boolean overTcp) implements SrvAnswer {
    public Records {
      records = List.copyOf(records);
    }
  }

  /** The server answered that there is no such record (NXDOMAIN, or the name has no SRV data). */
  record NoRecords(String why) implements SrvAnswer {}

  /** No usable answer: a timeout, SERVFAIL, a refusal or a malformed message. */
  record Failure(String why) implements SrvAnswer {}
}
