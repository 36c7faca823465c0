package org.homeserver.delivery;

/** What one retention pass did: queues that got a gap event, entries dropped, idempotency records forgotten. */
public record PurgeReport(int queues, long entriesDropped, int idempotencyRecordsForgotten) {}
