package org.homeserver.bench.load;

import java.util.List;

/** A group of the run as its members see it once set up: its id, its members in leaf order, its epoch. */
record BenchGroup(byte[] groupId, List<SimulatedClient> members, long epoch) {}
